using System.Globalization;
using Platform.Contracts;
using Platform.ModelStore.Data;
using Platform.ModelStore.Models;

namespace Platform.ModelStore.ModelCards;

/// <summary>
/// The card of a version that has no generated bundle: an uploaded model (trained elsewhere), or a trained version
/// whose worker could not draw its card. Written by the store from what it recorded (names, upload time, checksums,
/// sizes, declared schema, tags and whatever lineage came with the version), with the same sections and field markers
/// as a trained card (docs/model-cards.md); lineage that is absent says so. It depends only on the stored rows, so
/// the same version reads the same until someone changes its tags or fields. No pictures: nothing was evaluated here.
/// </summary>
public static class RecordedModelCard
{
    /// <summary>What an uploaded card says wherever training lineage would be.</summary>
    public const string NotRecordedUpload = "not recorded: uploaded model, not trained on the platform";

    /// <summary>What a trained version's card says for a lineage field its worker did not send.</summary>
    public const string NotRecordedTraining = "not recorded by the worker";

    public static string Write(ModelVersionRecord version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var upload = version.Source == ModelVersionSource.Upload;
        var absent = upload ? NotRecordedUpload : NotRecordedTraining;
        string Or(string value) => value.Length == 0 ? Italic(absent) : ModelCardMarkdown.Code(value);
        var card = new ModelCardMarkdown();

        card.Line($"# Model card: {version.Model!.Name}");
        card.Line();
        card.Line(upload
            ? "Written by the model store for an uploaded model: the platform did not train or evaluate it, so this card shows what the " +
              "upload declared and the store recorded. Intended use, limitations and privacy notes are written by people; everything " +
              "else comes from the store's record and is not edited."
            : "Written by the model store from its record of the version: the worker that trained it registered no card. Intended use, " +
              "limitations and privacy notes are written by people; everything else comes from the store's record and is not edited.");

        card.Heading(ModelCardSections.ModelDetails);
        var model = version.Artifacts.FirstOrDefault(a => a.Kind == ArtifactDeclaration.ModelKind);
        card.Table(["", ""], [
            ["Model", ModelCardMarkdown.Code(version.Model.Name)],
            ["Version", ModelCardBundle.Field(ModelCardBundle.VersionField, ModelCardMarkdown.Invariant(version.Version))],
            ["Source", upload ? "uploaded (`UploadModelVersion`), not trained on the platform" : "registered by a training job"],
            [upload ? "Uploaded" : "Registered", Timestamp(version.CreatedAt)],
            [upload ? "Uploaded by" : "Registered by", upload
                ? $"tenant {ModelCardMarkdown.Code(version.TenantId)}; the person is not recorded (an upload names no uploader: there is no authentication yet)"
                : version.Worker.Length == 0 ? Italic(absent) : $"worker {ModelCardMarkdown.Code(version.Worker)}"],
            ["Model file", model is null ? Italic("none") : $"{ModelCardMarkdown.Code(model.FileName)}, {Bytes(model.SizeBytes)}"],
            ["Model SHA-256", model is null ? Italic("none") : ModelCardMarkdown.Code(model.Sha256)],
            ["Task", ModelCardMarkdown.Code(version.Task)],
            ["Trainer", Or(version.Trainer)],
            ["Training job", version.JobId is { } job ? $"{ModelCardMarkdown.Code(job)}, attempt {ModelCardMarkdown.Invariant(version.Attempt)}" : Italic(absent)],
            ["Trained at", version.TrainedAt is { } trained ? Timestamp(trained) : Italic(absent)],
            ["Platform version", Or(version.PlatformVersion)],
            ["Description", version.Description.Length == 0 ? Italic("none") : ModelCardMarkdown.Escape(version.Description)],
        ]);
        card.Line();
        if (version.Hyperparameters.Count == 0)
        {
            card.Line($"Hyperparameters: {Italic(absent)}.");
        }
        else
        {
            card.Line(upload ? "Hyperparameters, as the upload declared them:" : "Hyperparameters, as recorded:");
            card.Line();
            card.Table(["hyperparameter", "value"],
                [.. version.Hyperparameters.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => new[] { ModelCardMarkdown.Code(h.Key), ModelCardMarkdown.Code(h.Value) })]);
        }
        Schema(card, "Input schema", "the columns the model reads", version.InputSchema, upload);
        Schema(card, "Output schema", "the columns the model adds when it predicts", version.OutputSchema, upload);
        card.SubHeading("Artifacts");
        card.Table(["kind", "file", "size", "SHA-256"], [.. version.Artifacts.OrderBy(a => a.Kind, StringComparer.Ordinal).Select(a => new[]
        {
            ModelCardMarkdown.Code(a.Kind), ModelCardMarkdown.Code(a.FileName), Bytes(a.SizeBytes), ModelCardMarkdown.Code(a.Sha256),
        })]);
        card.SubHeading("Tags");
        if (version.Tags.Count == 0)
            card.Line(Italic("none"));
        else
            card.Table(["tag", "value"],
                [.. version.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new[] { ModelCardMarkdown.Code(t.Key), ModelCardMarkdown.Code(t.Value) })]);

        card.Heading(ModelCardSections.Data);
        card.Table(["", ""], [
            ["Data set", version.DatasetId is { } dataset ? ModelCardMarkdown.Code(dataset.ToString()) : Italic(absent)],
            ["SHA-256", version.DatasetSha256 is { } sha256 ? ModelCardMarkdown.Code(sha256) : Italic(absent)],
            ["Label", Or(version.LabelColumn)],
        ]);
        card.SubHeading(ModelCardSections.DataProfile);
        card.Line(version.DatasetId is { } profiled
            ? $"Not part of this card: the data set's profile is `GetDatasetProfile` (`platformctl datasets profile {profiled}`)."
            : Italic(absent) + ".");

        card.Heading(ModelCardSections.Preparation);
        if (version.PreparationSteps.Count == 0)
        {
            card.Line(Italic(absent) + ".");
        }
        else
        {
            card.Line(upload ? "As the upload declared it, in pipeline order:" : "As recorded, in pipeline order:");
            card.Line();
            var step = 0;
            foreach (var prepared in version.PreparationSteps)
            {
                var columns = prepared.Columns.Count == 0 ? "" : " on " + string.Join(", ", prepared.Columns.Select(ModelCardMarkdown.Code));
                var parameters = prepared.Parameters.Count == 0 ? ""
                    : $" ({string.Join(", ", prepared.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} = {ModelCardMarkdown.Code(p.Value)}"))})";
                card.Line($"{++step}. {ModelCardMarkdown.Code(prepared.Kind)}{columns}{parameters}");
            }
        }

        card.Heading(ModelCardSections.Evaluation);
        if (version.Metrics.Count == 0)
        {
            card.Line(Italic(absent) + ".");
        }
        else
        {
            card.Line(upload
                ? "Metrics as the upload declared them: the platform did not measure them."
                : "Metrics as the worker registered them:");
            card.Line();
            card.Table(["metric", "value"],
                [.. version.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new[] { ModelCardMarkdown.Code(m.Key), ModelCardMarkdown.Number(m.Value) })]);
        }
        card.Line();
        card.Line("_No pictures: the store has no evaluated rows of this version to draw a confusion matrix, curves or residuals from._");

        card.Heading(ModelCardSections.FeatureImportance);
        card.Line(Italic(absent) + ".");

        card.Heading(ModelCardSections.IntendedUse);
        card.Line(ModelCardBundle.Field(ModelCardBundle.IntendedUseField, ModelCardSections.NotFilledIn));
        card.Heading(ModelCardSections.Limitations);
        card.Line(ModelCardBundle.Field(ModelCardBundle.LimitationsField, ModelCardSections.NotFilledIn));

        card.Heading(ModelCardSections.Privacy);
        card.Line($"Columns kept out of the model as sensitive: {Italic(absent)}.");
        if (version.InputSchema.Count > 0)
        {
            card.Line();
            card.Line($"The model reads {string.Join(", ", version.InputSchema.Select(c => ModelCardMarkdown.Code(c.Name)))} (its input schema): " +
                "whoever owns it should say below whether any of them is personal or sensitive.");
        }
        card.Line();
        card.Line(ModelCardBundle.Field(ModelCardBundle.PrivacyField, ModelCardSections.NoPrivacyNotes));
        return card.ToString();
    }

    private static void Schema(ModelCardMarkdown card, string title, string what, IReadOnlyList<SchemaColumnRecord> columns, bool upload)
    {
        card.SubHeading(title);
        if (columns.Count == 0)
        {
            card.Line(Italic(upload ? "not declared by the upload" : NotRecordedTraining) + ".");
            return;
        }
        card.Line($"{char.ToUpperInvariant(what[0])}{what[1..]}:");
        card.Line();
        card.Table(["column", "type"], [.. columns.Select(c => new[] { ModelCardMarkdown.Code(c.Name), ModelCardMarkdown.Code(c.Type) })]);
    }

    private static string Italic(string text) => "_" + text + "_";

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    private static string Bytes(long size) => size.ToString("N0", CultureInfo.InvariantCulture) + " bytes";
}
