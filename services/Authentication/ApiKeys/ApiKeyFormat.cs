using System.Security.Cryptography;
using System.Text;

namespace Platform.Authentication.ApiKeys;

/// <summary>
/// The shape of an API key: <c>plk_&lt;id&gt;_&lt;secret&gt;</c>, where the id (16 hex characters) finds the stored
/// record and the secret is 32 random bytes (base64url). The prefix makes a leaked key easy to recognise (secret
/// scanners, log scans) and lets the gateway tell keys from JWTs without trying to parse either.
/// </summary>
/// <remarks>
/// Keys are stored as SHA-256 of the whole key. A slow password hash (bcrypt, Argon2) defends low-entropy secrets
/// against guessing; these secrets are 256 random bits, which no amount of hashing speed makes guessable, so a slow
/// hash would only cost CPU on every call. SHA-256 keeps a stolen table useless and the check fast; the comparison is
/// fixed-time.
/// </remarks>
public static class ApiKeyFormat
{
    /// <summary>Every key starts with this.</summary>
    public const string Prefix = "plk_";

    private const int IdBytes = 8;
    private const int SecretBytes = 32;

    /// <summary>A new key and its id, from the system's cryptographic random source.</summary>
    public static (string Id, string Key) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdBytes));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (id, $"{Prefix}{id}_{secret}");
    }

    /// <summary>The id of a well-formed key; null for anything else (which is then not an API key at all).</summary>
    public static string? IdOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length < Prefix.Length + IdBytes * 2 + 2) return null;
        var id = key.Substring(Prefix.Length, IdBytes * 2);
        if (key[Prefix.Length + IdBytes * 2] != '_' || !id.All(char.IsAsciiHexDigitLower)) return null;
        return id;
    }

    /// <summary>What is stored: SHA-256 of the whole key, hex.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Whether <paramref name="key"/> hashes to <paramref name="storedHash"/>, in fixed time.</summary>
    public static bool Matches(string key, string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(key)), Encoding.ASCII.GetBytes(storedHash));
}
