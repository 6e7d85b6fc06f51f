using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Transfers;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>Requests to the store's byte stream as its tests send them, and the problem details it answers with.</summary>
internal static class ByteStreamRequests
{
    /// <summary>POSTs <paramref name="content"/> to <c>/v1/uploads</c> for <paramref name="tenant"/>, with <paramref name="digest"/> when given.</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, HttpContent content, string? digest, string tenant = "acme", bool chunked = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ByteStream.UploadsPath) { Content = content };
        request.Headers.TransferEncodingChunked = chunked;
        request.Headers.Add(ByteStream.TenantHeader, tenant);
        if (digest is not null) request.Headers.TryAddWithoutValidation(ByteStream.DigestHeader, digest);
        return await http.SendAsync(request);
    }

    /// <summary>Stages <paramref name="bytes"/> (with their right digest) and returns what the store answered.</summary>
    public static async Task<StagedUpload> StageAsync(HttpClient http, byte[] bytes, string tenant = "acme")
    {
        using var response = await PostAsync(http, new ByteArrayContent(bytes), ByteStream.FormatDigest(Sha256(bytes)), tenant);
        Xunit.Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<StagedUpload>())!;
    }

    /// <summary>A problem-details answer: status, title, detail and the field it names.</summary>
    public static async Task<(HttpStatusCode Status, string Title, string Detail, string? Field)> ProblemAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        return (response.StatusCode, root.GetProperty("title").GetString()!, root.GetProperty("detail").GetString()!,
            root.TryGetProperty("field", out var field) ? field.GetString() : null);
    }
}
