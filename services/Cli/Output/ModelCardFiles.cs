using System.Text;
using Platform.Models.V1;

namespace Platform.Cli.Output;

/// <summary>Saves a model card as files: <c>card.md</c> and its pictures under <c>images/</c>, as the Markdown links them.</summary>
public static class ModelCardFiles
{
    public const string MarkdownFile = "card.md";

    /// <summary>Writes the card into <paramref name="folder"/> (created if needed); returns the paths written, relative to it.</summary>
    /// <exception cref="CliException">A picture's name would land outside <c>images/</c>.</exception>
    public static IReadOnlyList<string> Write(ModelCard card, string folder)
    {
        ArgumentNullException.ThrowIfNull(card);
        // Check every name before writing anything: a name from the server never picks where a file goes.
        var images = card.Images.Select(image => (Path: SafeImagePath(image.FileName), image.Png)).ToArray();
        Directory.CreateDirectory(images.Length == 0 ? folder : Path.Combine(folder, "images"));
        File.WriteAllText(Path.Combine(folder, MarkdownFile), card.Markdown, new UTF8Encoding(false));
        var written = new List<string> { MarkdownFile };
        foreach (var (path, png) in images)
        {
            File.WriteAllBytes(Path.Combine(folder, path), png.ToByteArray());
            written.Add(path);
        }
        return written;
    }

    private static string SafeImagePath(string fileName)
    {
        const string folder = "images/";
        var name = fileName.StartsWith(folder, StringComparison.Ordinal) ? fileName[folder.Length..] : "";
        if (name.Length == 0 || name != Path.GetFileName(name) || name.Contains("..", StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
            throw new CliException($"the model card names a picture '{fileName}' outside images/; nothing was written");
        return folder + name;
    }
}
