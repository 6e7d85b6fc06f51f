using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Platform.ModelStore.Tests;

public sealed class ModelStoreExtensionsTests
{
    [Fact]
    public async Task The_host_does_not_start_without_a_blob_folder_and_says_which_setting_is_missing()
    {
        using var folder = new TempFolder();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:ModelStore"] = $"Data Source={Path.Combine(folder.Path, "store.db")}",
        });
        builder.AddModelStore();
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("BlobStore:Root is not set", error.Message, StringComparison.Ordinal);
    }
}
