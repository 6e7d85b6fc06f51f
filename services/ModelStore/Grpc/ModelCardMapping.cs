using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Platform.ModelStore.ModelCards;
using Platform.Models.V1;

namespace Platform.ModelStore.Grpc;

/// <summary>Model cards as the API returns them.</summary>
internal static class ModelCardMapping
{
    public static ModelCard ToProto(this ServedModelCard card) => new()
    {
        ModelName = card.Version.Model!.Name,
        Version = card.Version.Version,
        Markdown = card.Markdown,
        Images = { card.Images.Select(i => new ModelCardImage { FileName = i.FileName, Png = ByteString.CopyFrom(i.Png) }) },
        Fields = card.Fields?.ToProto() ?? new ModelCardFields(),
        BundleSha256 = card.BundleSha256,
    };

    public static ModelCardFields ToProto(this ModelCardFieldsRecord fields) => new()
    {
        IntendedUse = fields.IntendedUse,
        Limitations = fields.Limitations,
        Privacy = fields.Privacy,
        UpdatedBy = fields.UpdatedBy,
        UpdatedAt = Timestamp.FromDateTimeOffset(fields.UpdatedAt),
    };
}
