using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf;
using Platform.Jobs.V1;
using Platform.Models.V1;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// Issue 5: every version has a model card, through the gateway. A trained one shows the data set's stored profile
/// (the worker asks the real model store, on PostgreSQL); an uploaded one is written by the store from its record.
/// </summary>
public sealed partial class TrainingPipelineTests
{
    [Fact]
    public async Task A_trained_versions_card_shows_the_stored_profile_counted_from_every_row()
    {
        var dataset = await UploadAsync(Penguins);
        var job = await RunToEndAsync(await Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            Spec = new JobSpec
            {
                DatasetId = dataset.Id, Task = TrainingTask.MulticlassClassification, LabelColumn = "Species", Trainer = "lightgbm", Seed = 42,
                ModelName = "penguins-card",
            },
        }));

        var card = await Models.GetModelCardAsync(new GetModelCardRequest { Reference = $"penguins-card:{job.Result.ModelVersion}" });

        Assert.DoesNotContain("could not be read", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("every row of the data set at upload: 344 rows.", card.Markdown, StringComparison.Ordinal);
        // Expected figures counted here from the file (no quoted fields in it): missing = empty field; distinct = other values.
        var lines = File.ReadAllLines(Penguins);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToArray();
        Assert.Equal(344, rows.Length);
        for (var i = 0; i < header.Length; i++)
        {
            var values = rows.Select(r => r[i]).ToArray();
            var missing = values.Count(v => v.Length == 0);
            var distinct = values.Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).Count();
            var type = dataset.Columns.Single(c => c.Name == header[i]).Type.ToString().ToLowerInvariant();
            var share = ((double)missing / rows.Length * 100).ToString("0.0", CultureInfo.InvariantCulture);
            Assert.Contains($"| `{header[i]}` | {type} | {missing} | {share} % | {distinct} |", card.Markdown, StringComparison.Ordinal);
        }
        // Sex (10 missing, 2.9 %) stays under the 5 % warning line; the label's classes come from the profile too.
        Assert.Contains("| `Sex` | categorical | 10 | 2.9 % | 3 |", card.Markdown, StringComparison.Ordinal);
        var classes = rows.GroupBy(r => r[0]).Select(g => g.Count()).ToArray();
        var imbalance = ((double)classes.Max() / classes.Min()).ToString("0.####", CultureInfo.InvariantCulture);
        Assert.Contains($"imbalance ratio): {imbalance}.", card.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_uploaded_model_has_a_card_through_the_gateway_that_says_what_is_not_recorded()
    {
        var model = RandomNumberGenerator.GetBytes(4096);
        var header = new ModelVersion { ModelName = "uploaded-card", Task = "regression", Description = "Trained in a notebook." };
        header.InputSchema.Add(new SchemaColumn { Name = "rooms", Type = "Single" });
        using (var call = Models.UploadModelVersion())
        {
            await call.RequestStream.WriteAsync(new UploadModelVersionRequest { Version = header });
            await call.RequestStream.WriteAsync(new UploadModelVersionRequest
            {
                Artifact = new Artifact { Kind = "model", FileName = "model.zip", Sha256 = Sha256(model), SizeBytes = model.Length },
            });
            await call.RequestStream.WriteAsync(new UploadModelVersionRequest { Chunk = ByteString.CopyFrom(model) });
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        }

        await Models.UpdateModelCardAsync(new UpdateModelCardRequest { Reference = "uploaded-card", IntendedUse = "Pricing drafts.", Actor = "ana" });
        var card = await Models.GetModelCardAsync(new GetModelCardRequest { Reference = "uploaded-card" });

        Assert.Empty(card.Images);
        Assert.Contains($"| Model SHA-256 | `{Sha256(model)}` |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| `rooms` | `Single` |", card.Markdown, StringComparison.Ordinal);
        Assert.Contains("| Training job | _not recorded: uploaded model, not trained on the platform_ |", card.Markdown, StringComparison.Ordinal);
        // The writer is the caller the gateway authenticated (the test's admin key), not the "ana" the request named
        // (Markdown-escaped, as every value the card quotes).
        Assert.Contains("Pricing drafts.\n\n_Written by e2e-admin \\(key ", card.Markdown, StringComparison.Ordinal);
        Assert.Equal("Pricing drafts.", card.Fields.IntendedUse);
    }
}
