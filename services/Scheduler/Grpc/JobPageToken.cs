using System.Buffers.Binary;
using Platform.ServiceDefaults.Errors;

namespace Platform.Scheduler.Grpc;

/// <summary>
/// Where the next page of ListJobs starts: after the job (created_at, id) that ended the previous page.
/// Opaque to clients (base64url); a keyset, so jobs submitted meanwhile neither repeat nor shift the pages.
/// </summary>
internal readonly record struct JobPageToken(DateTimeOffset CreatedAt, Guid Id)
{
    private const int Length = sizeof(long) + 16;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, CreatedAt.UtcTicks);
        Id.TryWriteBytes(bytes[sizeof(long)..]);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static JobPageToken? Decode(string token)
    {
        if (string.IsNullOrEmpty(token)) return null;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
            var bytes = Convert.FromBase64String(base64);
            if (bytes.Length != Length) throw new FormatException();
            var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes);
            return new JobPageToken(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes.AsSpan(sizeof(long))));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException)
        {
            throw new InvalidArgumentException("page_token", "is not a token from a previous ListJobs response");
        }
    }
}
