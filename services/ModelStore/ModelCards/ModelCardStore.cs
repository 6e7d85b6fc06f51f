using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Models;
using Platform.ServiceDefaults.Errors;

namespace Platform.ModelStore.ModelCards;

/// <summary>
/// A card as served: the Markdown with every field filled in, and its pictures (path under card.md → PNG).
/// <see cref="BundleSha256"/> is the SHA-256 of the worker's bundle, empty for a card the store wrote from its record.
/// </summary>
public sealed record ServedModelCard(
    ModelVersionRecord Version, string Markdown, IReadOnlyList<(string FileName, byte[] Png)> Images, ModelCardFieldsRecord? Fields, string BundleSha256);

/// <summary>
/// Model cards (docs/model-cards.md). The worker's card is the version's <c>model_card</c> artifact, immutable and
/// SHA-256 verified like every artifact; a version without one (an uploaded model) gets the card the store writes
/// from its record. What people write (intended use, limitations) is a row of its own, merged into the Markdown each
/// time the card is served, so the generated part never changes and the written part can.
/// </summary>
public sealed class ModelCardStore(ModelStoreDbContext db, ModelVersionCatalog catalog, BlobStore blobs, TimeProvider time)
{
    /// <summary>Longest intended use, limitations or privacy text.</summary>
    public const int MaxFieldLength = 10_000;

    /// <summary>Largest card bundle the store reads into memory (a generated one is well under a megabyte).</summary>
    public const long MaxBundleBytes = 32L * 1024 * 1024;

    /// <summary>
    /// The card of a version: the worker's bundle when the version has one, otherwise the card the store writes from
    /// its record (<see cref="RecordedModelCard"/>: no pictures, <see cref="ServedModelCard.BundleSha256"/> empty).
    /// Every version has a card.
    /// </summary>
    /// <exception cref="NotFoundException">No such model, version or alias.</exception>
    /// <exception cref="DataLossException">The bundle's bytes are not the ones registered.</exception>
    public async Task<ServedModelCard> GetAsync(string tenantId, ModelReference reference, CancellationToken cancellationToken)
    {
        var version = await catalog.ResolveAsync(tenantId, reference, cancellationToken);
        var name = $"{version.Model!.Name}:{version.Version}";
        var fields = await db.ModelCardFields.AsNoTracking().SingleOrDefaultAsync(f => f.ModelVersionId == version.Id, cancellationToken);
        if (version.Artifacts.SingleOrDefault(a => a.Kind == ModelCardBundle.ArtifactKind) is not { } artifact)
        {
            // No generated bundle (an uploaded model, or a worker that could not draw one): the card of the store's record.
            return new ServedModelCard(version, Merge(RecordedModelCard.Write(version), version.Version, fields), [], fields, "");
        }
        if (artifact.SizeBytes > MaxBundleBytes)
            throw new FailedPreconditionException($"The model card of {Echo.Quote(name)} is {artifact.SizeBytes} bytes, more than the {MaxBundleBytes} the store serves.");
        var bytes = await blobs.ReadAllAsync(artifact.Sha256, $"model card of {Echo.Quote(name)}", cancellationToken);

        using var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
        var markdownEntry = zip.GetEntry(ModelCardBundle.MarkdownEntry)
            ?? throw new DataLossException($"The model card of {Echo.Quote(name)} has no {ModelCardBundle.MarkdownEntry}.");
        string markdown;
        using (var reader = new StreamReader(markdownEntry.Open(), new UTF8Encoding(false)))
            markdown = await reader.ReadToEndAsync(cancellationToken);
        var images = new List<(string, byte[])>();
        foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith(ModelCardBundle.ImageFolder, StringComparison.Ordinal)
                                                     && e.FullName.EndsWith(".png", StringComparison.Ordinal)))
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken);
            images.Add((entry.FullName, copy.ToArray()));
        }
        return new ServedModelCard(version, Merge(markdown, version.Version, fields), images, fields, artifact.Sha256);
    }

    /// <summary>Sets any of the written fields of a version's card (null leaves one as it is; empty clears it).</summary>
    /// <exception cref="NotFoundException">No such model, version or alias.</exception>
    public async Task<ModelCardFieldsRecord> UpdateAsync(
        string tenantId, ModelReference reference, string? intendedUse, string? limitations, string? privacy, string actor,
        CancellationToken cancellationToken)
    {
        var version = await catalog.ResolveAsync(tenantId, reference, cancellationToken);
        var fields = await db.ModelCardFields.SingleOrDefaultAsync(f => f.ModelVersionId == version.Id, cancellationToken);
        if (fields is null)
        {
            fields = new ModelCardFieldsRecord { ModelVersionId = version.Id, TenantId = tenantId, IntendedUse = "", Limitations = "", UpdatedBy = actor };
            db.ModelCardFields.Add(fields);
        }
        if (intendedUse is not null) fields.IntendedUse = intendedUse;
        if (limitations is not null) fields.Limitations = limitations;
        if (privacy is not null) fields.Privacy = privacy;
        fields.UpdatedBy = actor;
        fields.UpdatedAt = StoreTime.Now(time);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (db.Entry(fields).State == EntityState.Added)
        {
            // Two first writers at once: the other row won; apply this change on top of it.
            db.Entry(fields).State = EntityState.Detached;
            return await UpdateAsync(tenantId, reference, intendedUse, limitations, privacy, actor, cancellationToken);
        }
        return fields;
    }

    /// <summary>The generated Markdown with the version number and the written fields between their markers.</summary>
    public static string Merge(string markdown, int version, ModelCardFieldsRecord? fields)
    {
        var merged = ModelCardBundle.Fill(markdown, ModelCardBundle.VersionField, version.ToString(CultureInfo.InvariantCulture));
        if (fields is null) return merged;
        var written = $"\n\n_Written by {ModelCardMarkdown.Escape(fields.UpdatedBy)}, {fields.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC._";
        if (fields.IntendedUse.Length > 0)
            merged = ModelCardBundle.Fill(merged, ModelCardBundle.IntendedUseField, ModelCardMarkdown.WithoutHtml(fields.IntendedUse) + written);
        if (fields.Limitations.Length > 0)
            merged = ModelCardBundle.Fill(merged, ModelCardBundle.LimitationsField, ModelCardMarkdown.WithoutHtml(fields.Limitations) + written);
        if (fields.Privacy.Length > 0)
        {
            // Bundles written before privacy notes existed have no marker: Privacy is their last section, so the
            // notes go at the end, where the marker would be.
            var notes = ModelCardMarkdown.WithoutHtml(fields.Privacy) + written;
            merged = merged.Contains(ModelCardBundle.StartMarker(ModelCardBundle.PrivacyField), StringComparison.Ordinal)
                ? ModelCardBundle.Fill(merged, ModelCardBundle.PrivacyField, notes)
                : merged.TrimEnd('\n') + "\n\n" + ModelCardBundle.Field(ModelCardBundle.PrivacyField, notes) + "\n";
        }
        return merged;
    }
}
