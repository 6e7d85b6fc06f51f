namespace Platform.ModelStore.Blobs;

/// <summary>Configuration section <c>BlobStore</c>.</summary>
public sealed class BlobStoreOptions
{
    /// <summary>The folder that holds the blobs (a volume in Kubernetes). Required.</summary>
    public string Root { get; set; } = "";
}
