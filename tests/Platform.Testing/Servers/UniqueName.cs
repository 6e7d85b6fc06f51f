using System.Text;

namespace Platform.Testing.Servers;

/// <summary>Names for throw-away databases and virtual hosts: readable prefix, random suffix, safe characters only.</summary>
internal static class UniqueName
{
    private const int SuffixLength = 12;

    /// <summary>
    /// Lower-case letters, digits and <paramref name="separator"/>, starting with a letter, at most
    /// <paramref name="maxLength"/> characters, so the name needs no quoting rules beyond the usual.
    /// </summary>
    public static string For(string prefix, int maxLength, char separator)
    {
        var readable = new StringBuilder();
        foreach (var c in (prefix ?? "").ToLowerInvariant())
        {
            var safe = c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : separator;
            if (safe != separator || (readable.Length > 0 && readable[^1] != separator))
                readable.Append(safe);
        }

        var start = readable.ToString().Trim(separator);
        if (start.Length == 0)
            start = "t";
        else if (!char.IsAsciiLetter(start[0]))
            start = "t" + separator + start;
        var room = maxLength - SuffixLength - 1;
        if (start.Length > room)
            start = start[..room].TrimEnd(separator);
        return $"{start}{separator}{Guid.NewGuid():N}"[..(start.Length + 1 + SuffixLength)];
    }
}
