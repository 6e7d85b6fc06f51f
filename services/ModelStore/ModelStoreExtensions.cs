using Microsoft.Extensions.Options;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Grpc;
using Platform.ModelStore.Models;
using Platform.ServiceDefaults.Persistence;

namespace Platform.ModelStore;

/// <summary>Composes the model store into a host: the dedicated one (Program.cs) or the standalone one.</summary>
public static class ModelStoreExtensions
{
    /// <summary>
    /// Registers the store's database (<c>ModelStoreDbContext</c> on <c>ConnectionStrings:ModelStore</c>, engine
    /// from <c>Database:Provider</c>) and its blob folder (<c>BlobStore:Root</c>, required when the host starts).
    /// </summary>
    public static WebApplicationBuilder AddModelStore(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddPlatformDatabase<ModelStoreDbContext>("ModelStore");

        // Checked when the host starts rather than here, so `model-store migrate` runs without the blob volume.
        builder.Services.AddOptions<BlobStoreOptions>()
            .BindConfiguration("BlobStore")
            .Validate(options => !string.IsNullOrWhiteSpace(options.Root),
                "BlobStore:Root is not set (environment variable BlobStore__Root): the folder where the model store keeps data set and model bytes.")
            .ValidateOnStart();
        builder.Services.AddSingleton(services => new BlobStore(services.GetRequiredService<IOptions<BlobStoreOptions>>().Value.Root));
        builder.Services.AddScoped<ModelVersionCatalog>();
        return builder;
    }

    /// <summary>Maps <c>DatasetService</c>, <c>ModelService</c> and the internal <c>ModelRegistry</c>.</summary>
    public static WebApplication MapModelStore(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<DatasetGrpcService>();
        app.MapGrpcService<ModelGrpcService>();
        app.MapGrpcService<ModelRegistryGrpcService>();
        return app;
    }
}
