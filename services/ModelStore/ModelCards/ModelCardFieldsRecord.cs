namespace Platform.ModelStore.ModelCards;

/// <summary>
/// The fields of a version's model card that people write, with who wrote them last and when. One row per
/// version at most (none until someone writes); it goes when the version goes.
/// </summary>
public sealed class ModelCardFieldsRecord
{
    public Guid ModelVersionId { get; set; }
    public required string TenantId { get; set; }
    /// <summary>Markdown; empty when not written.</summary>
    public required string IntendedUse { get; set; }
    /// <summary>Markdown; empty when not written.</summary>
    public required string Limitations { get; set; }
    /// <summary>Privacy notes, Markdown; empty when not written.</summary>
    public string Privacy { get; set; } = "";
    public required string UpdatedBy { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
