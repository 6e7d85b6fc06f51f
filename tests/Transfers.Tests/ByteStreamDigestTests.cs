using System.Security.Cryptography;

namespace Platform.Transfers.Tests;

/// <summary>The <c>Repr-Digest</c> header (RFC 9530) every upload and download carries.</summary>
public sealed class ByteStreamDigestTests
{
    private static readonly string Sha256 = Convert.ToHexStringLower(SHA256.HashData("penguins"u8));

    [Fact]
    public void A_formatted_digest_parses_back_to_the_same_hex()
    {
        var header = ByteStream.FormatDigest(Sha256);

        Assert.StartsWith("sha-256=:", header, StringComparison.Ordinal);
        Assert.Equal(Sha256, ByteStream.ParseDigest(header));
    }

    [Fact]
    public void The_sha256_member_is_found_among_other_algorithms_whatever_the_case_of_its_name()
    {
        var value = ByteStream.FormatDigest(Sha256)["sha-256".Length..];

        Assert.Equal(Sha256, ByteStream.ParseDigest($"sha-512=:AAAA:, SHA-256{value}"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha-512=:AAAA:")]
    [InlineData("sha-256=AAAA")]
    [InlineData("sha-256=:not base64:")]
    [InlineData("sha-256=:AAAA:")]
    public void A_missing_or_malformed_digest_is_null(string? header) => Assert.Null(ByteStream.ParseDigest(header));
}
