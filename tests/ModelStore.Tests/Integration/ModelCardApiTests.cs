using System.IO.Compression;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.Models.V1;
using Platform.Testing;
using static Platform.ModelStore.Tests.Requests;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>Model cards over real gRPC on PostgreSQL: the worker's bundle served with the fields people write.</summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Integration")]
public sealed class ModelCardApiTests(PlatformServers servers) : IAsyncLifetime
{
    private static readonly byte[] ConfusionPng = RandomBytes(3000, seed: 7);
    private static readonly byte[] RocPng = RandomBytes(2000, seed: 8);
    private ModelStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await ModelStoreHost.StartAsync(servers);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Metadata Acme => ModelStoreHost.Tenant("acme");

    /// <summary>A bundle as the worker writes it: card.md with the markers, pictures under images/.</summary>
    private static byte[] Bundle()
    {
        var markdown = "# Model card: penguins\n\n| Version | " + ModelCardBundle.Field(ModelCardBundle.VersionField, "assigned when registered") + " |\n\n" +
            "![Confusion matrix](images/confusion-matrix.png)\n\n## Intended use\n\n" + ModelCardBundle.Field(ModelCardBundle.IntendedUseField, "_Not filled in yet._") +
            "\n\n## Limitations\n\n" + ModelCardBundle.Field(ModelCardBundle.LimitationsField, "_Not filled in yet._") + "\n";
        using var bytes = new MemoryStream();
        using (var zip = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in new[] { ("card.md", Encoding.UTF8.GetBytes(markdown)), ("images/confusion-matrix.png", ConfusionPng), ("images/roc-curve.png", RocPng) })
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(content);
            }
        }
        return bytes.ToArray();
    }

    private Task<ModelVersion> RegisterWithCardAsync(string model, string job) =>
        _host.RegisterAsync(Registration(Version(model, job), new ArtifactUpload("model", RandomBytes(500, seed: job.Length)), new ArtifactUpload(ModelCardBundle.ArtifactKind, Bundle())));

    private Task<ModelCard> GetCardAsync(string reference) =>
        _host.Models.GetModelCardAsync(new GetModelCardRequest { Reference = reference }, Acme).ResponseAsync;

    [Fact]
    public async Task A_card_is_served_with_its_version_number_and_pictures_by_number_alias_or_latest()
    {
        await RegisterWithCardAsync("penguins", "job-1");
        var v2 = await RegisterWithCardAsync("penguins", "job-2");
        await _host.Models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = "penguins", Alias = "production", Version = 1, Actor = "ci" }, Acme);

        var latest = await GetCardAsync("penguins");
        var byAlias = await GetCardAsync("models/penguins@production");

        Assert.Equal(("penguins", 2), (latest.ModelName, latest.Version));
        Assert.Contains("| Version | " + ModelCardBundle.Field(ModelCardBundle.VersionField, "2") + " |", latest.Markdown, StringComparison.Ordinal);
        Assert.Equal(v2.Artifacts.Single(a => a.Kind == ModelCardBundle.ArtifactKind).Sha256, latest.BundleSha256);
        Assert.Equal(["images/confusion-matrix.png", "images/roc-curve.png"], latest.Images.Select(i => i.FileName));
        Assert.Equal(ConfusionPng, latest.Images[0].Png.ToByteArray());
        Assert.Equal(RocPng, latest.Images[1].Png.ToByteArray());
        Assert.Equal(1, byAlias.Version);
        Assert.Contains(ModelCardBundle.Field(ModelCardBundle.VersionField, "1"), byAlias.Markdown, StringComparison.Ordinal);
        Assert.Contains(ModelCardBundle.Field(ModelCardBundle.IntendedUseField, "_Not filled in yet._"), latest.Markdown, StringComparison.Ordinal);
        Assert.Equal(new ModelCardFields(), latest.Fields);
    }

    [Fact]
    public async Task Written_fields_show_up_in_the_fetched_card_with_who_and_when_and_one_field_can_change_alone()
    {
        await RegisterWithCardAsync("penguins", "job-1");

        var first = await _host.Models.UpdateModelCardAsync(new UpdateModelCardRequest
        {
            Reference = "penguins:1", IntendedUse = "Sorting field photos of **Antarctic** penguins.", Limitations = "Three species only.", Actor = "ana@acme",
        }, Acme);
        var second = await _host.Models.UpdateModelCardAsync(new UpdateModelCardRequest { Reference = "penguins", Limitations = "Three species only; not chicks.", Actor = "bo@acme" }, Acme);
        var card = await GetCardAsync("penguins:1");

        Assert.Equal(("Sorting field photos of **Antarctic** penguins.", "Three species only.", "ana@acme"), (first.IntendedUse, first.Limitations, first.UpdatedBy));
        Assert.Equal(("Sorting field photos of **Antarctic** penguins.", "Three species only; not chicks.", "bo@acme"), (second.IntendedUse, second.Limitations, second.UpdatedBy));
        Assert.Equal(second, card.Fields);
        var when = second.UpdatedAt.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(ModelCardBundle.Field(ModelCardBundle.IntendedUseField, $"Sorting field photos of **Antarctic** penguins.\n\n_Written by bo@acme, {when} UTC._"), card.Markdown, StringComparison.Ordinal);
        Assert.Contains(ModelCardBundle.Field(ModelCardBundle.LimitationsField, $"Three species only; not chicks.\n\n_Written by bo@acme, {when} UTC._"), card.Markdown, StringComparison.Ordinal);

        // Privacy notes on a bundle written before they existed (no marker) land at its end, the Privacy section.
        await _host.Models.UpdateModelCardAsync(new UpdateModelCardRequest { Reference = "penguins:1", Privacy = "Sex is excluded.", Actor = "cy@acme" }, Acme);
        var withNotes = await GetCardAsync("penguins:1");
        Assert.EndsWith(ModelCardBundle.Field(ModelCardBundle.PrivacyField, $"Sex is excluded.\n\n_Written by cy@acme, {withNotes.Fields.UpdatedAt.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)} UTC._") + "\n",
            withNotes.Markdown, StringComparison.Ordinal);
        Assert.Equal(("Three species only; not chicks.", "Sex is excluded."), (withNotes.Fields.Limitations, withNotes.Fields.Privacy));

        // An empty text clears a field back to the generated default.
        await _host.Models.UpdateModelCardAsync(new UpdateModelCardRequest { Reference = "penguins:1", IntendedUse = "", Actor = "ana@acme" }, Acme);
        Assert.Contains(ModelCardBundle.Field(ModelCardBundle.IntendedUseField, "_Not filled in yet._"), (await GetCardAsync("penguins:1")).Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_model_version_or_alias_or_another_tenants_version_is_not_found()
    {
        await RegisterWithCardAsync("penguins", "job-1");

        async Task<RpcException> GetFails(string reference) =>
            await Assert.ThrowsAsync<RpcException>(() => GetCardAsync(reference));

        var unknownModel = await GetFails("iris");
        var unknownVersion = await GetFails("penguins:9");
        var unknownAlias = await GetFails("penguins@staging");
        var otherTenant = await Assert.ThrowsAsync<RpcException>(() =>
            _host.Models.GetModelCardAsync(new GetModelCardRequest { Reference = "penguins:1" }, ModelStoreHost.Tenant("globex")).ResponseAsync);
        var updateOtherTenant = await Assert.ThrowsAsync<RpcException>(() => _host.Models.UpdateModelCardAsync(
            new UpdateModelCardRequest { Reference = "penguins:1", Limitations = "x", Actor = "ana" }, ModelStoreHost.Tenant("globex")).ResponseAsync);

        Assert.All([unknownModel, unknownVersion, unknownAlias, otherTenant, updateOtherTenant], e => Assert.Equal(StatusCode.NotFound, e.StatusCode));
        Assert.Contains("'iris'", unknownModel.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("'penguins:9'", unknownVersion.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("'penguins@staging'", unknownAlias.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await _host.QueryAsync(db => db.ModelCardFields.CountAsync()));
    }

    /// <summary>The top-level sections of every card, in order, as the worker writes them for a trained version.</summary>
    private static readonly string[] Sections =
    [
        "## " + ModelCardSections.ModelDetails, "## " + ModelCardSections.Data, "### " + ModelCardSections.DataProfile, "## " + ModelCardSections.Preparation,
        "## " + ModelCardSections.Evaluation, "## " + ModelCardSections.FeatureImportance, "## " + ModelCardSections.IntendedUse,
        "## " + ModelCardSections.Limitations, "## " + ModelCardSections.Privacy,
    ];

    [Fact]
    public async Task An_uploaded_version_gets_a_card_of_what_the_store_recorded_with_the_same_sections_and_no_pictures()
    {
        var header = UploadHeader("churn");
        header.InputSchema.Add(new SchemaColumn { Name = "tenure_months", Type = "Single" });
        header.InputSchema.Add(new SchemaColumn { Name = "plan", Type = "String" });
        header.OutputSchema.Add(new SchemaColumn { Name = "Score", Type = "Single" });
        header.Tags["team"] = "retention";
        var modelBytes = RandomBytes(1234, seed: 11);
        var uploaded = await _host.UploadModelAsync(ModelUpload(header, new ArtifactUpload("model", modelBytes)));

        var card = await GetCardAsync("churn:1");

        Assert.Equal(("churn", 1, "", 0), (card.ModelName, card.Version, card.BundleSha256, card.Images.Count));
        var lines = card.Markdown.Split('\n');
        Assert.Equal("# Model card: churn", lines[0]);
        var positions = Sections.Select(s => Array.IndexOf(lines, s)).ToArray();
        Assert.All(positions.Zip(Sections), p => Assert.True(p.First >= 0, $"missing section '{p.Second}'"));
        Assert.Equal(positions.Order(), positions);
        // What the store knows, each in its place.
        Assert.Contains("| Version | " + ModelCardBundle.Field(ModelCardBundle.VersionField, "1") + " |", card.Markdown, StringComparison.Ordinal);
        var uploadedAt = uploaded.CreatedAt.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"| Uploaded | {uploadedAt} UTC |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| Uploaded by | tenant `acme`; the person is not recorded", card.Markdown, StringComparison.Ordinal);
        Assert.Contains($"| Model SHA-256 | `{Sha256(modelBytes)}` |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| Model file | `model.zip`, 1,234 bytes |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| `tenure_months` | `Single` |\n| `plan` | `String` |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| `Score` | `Single` |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| `team` | `retention` |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| `auc` | 0.91 |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| Description | Trained in a notebook. |", card.Markdown, StringComparison.Ordinal);
        // Lineage the upload did not bring is said to be absent, plainly.
        Assert.Contains("| Training job | _not recorded: uploaded model, not trained on the platform_ |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| Data set | _not recorded: uploaded model, not trained on the platform_ |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("Columns kept out of the model as sensitive: _not recorded: uploaded model, not trained on the platform_.", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("_No pictures:", card.Markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("](images/", card.Markdown, StringComparison.Ordinal);
        Assert.Contains(ModelCardBundle.Field(ModelCardBundle.IntendedUseField, ModelCardSections.NotFilledIn), card.Markdown, StringComparison.Ordinal);
        // The same version reads the same card; nothing was stored to serve it.
        Assert.Equal(card.Markdown, (await GetCardAsync("churn")).Markdown);
        Assert.Equal(1, await _host.QueryAsync(db => db.Artifacts.CountAsync()));
    }

    [Fact]
    public async Task An_uploaded_versions_card_takes_written_fields_and_shows_tags_as_they_are_now()
    {
        await _host.UploadModelAsync(ModelUpload("churn", RandomBytes(300, seed: 5)));

        var fields = await _host.Models.UpdateModelCardAsync(new UpdateModelCardRequest
        {
            Reference = "churn:1", IntendedUse = "Ranking accounts for a retention call.", Limitations = "Trained on 2025 EU accounts only.",
            Privacy = "Reads `postcode`, personal data; names were left out.", Actor = "ana@acme",
        }, Acme);
        await _host.Models.SetModelVersionTagsAsync(new SetModelVersionTagsRequest { ModelName = "churn", Version = 1, Set = { ["stage"] = "pilot" } }, Acme);
        var card = await GetCardAsync("churn:1");

        var when = fields.UpdatedAt.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(fields, card.Fields);
        Assert.Contains(ModelCardBundle.Field(ModelCardBundle.IntendedUseField, $"Ranking accounts for a retention call.\n\n_Written by ana@acme, {when} UTC._"), card.Markdown, StringComparison.Ordinal);
        Assert.Contains(ModelCardBundle.Field(ModelCardBundle.LimitationsField, $"Trained on 2025 EU accounts only.\n\n_Written by ana@acme, {when} UTC._"), card.Markdown, StringComparison.Ordinal);
        var privacy = card.Markdown.IndexOf(ModelCardBundle.Field(ModelCardBundle.PrivacyField, $"Reads `postcode`, personal data; names were left out.\n\n_Written by ana@acme, {when} UTC._"), StringComparison.Ordinal);
        Assert.True(privacy > card.Markdown.IndexOf("## " + ModelCardSections.Privacy, StringComparison.Ordinal), "the privacy notes belong to the Privacy section");
        Assert.Contains("| `stage` | `pilot` |", card.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_without_actor_or_fields_or_with_a_bad_reference_is_refused_naming_the_field()
    {
        await RegisterWithCardAsync("penguins", "job-1");

        async Task<RpcException> UpdateFails(UpdateModelCardRequest request) =>
            await Assert.ThrowsAsync<RpcException>(() => _host.Models.UpdateModelCardAsync(request, Acme).ResponseAsync);

        var noActor = await UpdateFails(new UpdateModelCardRequest { Reference = "penguins", Limitations = "x" });
        var noFields = await UpdateFails(new UpdateModelCardRequest { Reference = "penguins", Actor = "ana" });
        var tooLong = await UpdateFails(new UpdateModelCardRequest { Reference = "penguins", Limitations = new string('x', 10_001), Actor = "ana" });
        var badReference = await UpdateFails(new UpdateModelCardRequest { Reference = "../penguins", Limitations = "x", Actor = "ana" });

        Assert.All([noActor, noFields, tooLong, badReference], e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.StartsWith("actor:", noActor.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("intended_use:", noFields.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("limitations:", tooLong.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("reference:", badReference.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await _host.QueryAsync(db => db.ModelCardFields.CountAsync()));
    }

    [Fact]
    public async Task A_card_whose_bytes_changed_on_disk_is_data_loss_and_deleting_the_version_deletes_its_fields()
    {
        var version = await RegisterWithCardAsync("penguins", "job-1");
        await _host.Models.UpdateModelCardAsync(new UpdateModelCardRequest { Reference = "penguins:1", Limitations = "x", Actor = "ana" }, Acme);
        var sha256 = version.Artifacts.Single(a => a.Kind == ModelCardBundle.ArtifactKind).Sha256;
        var path = _host.Blobs.PathOf(sha256);
        var original = await File.ReadAllBytesAsync(path);
        var corrupted = (byte[])original.Clone();
        corrupted[^10] ^= 0xFF;
        File.SetAttributes(path, FileAttributes.Normal);
        await File.WriteAllBytesAsync(path, corrupted);

        var error = await Assert.ThrowsAsync<RpcException>(() => GetCardAsync("penguins:1"));
        Assert.Equal(StatusCode.DataLoss, error.StatusCode);

        await File.WriteAllBytesAsync(path, original);
        await _host.Models.DeleteModelVersionAsync(new DeleteModelVersionRequest { ModelName = "penguins", Version = 1, Actor = "ana" }, Acme);
        Assert.Equal(0, await _host.QueryAsync(db => db.ModelCardFields.CountAsync()));
    }
}
