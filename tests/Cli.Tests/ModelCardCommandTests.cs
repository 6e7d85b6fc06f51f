using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Platform.Models.V1;

namespace Platform.Cli.Tests;

/// <summary><c>models card</c>, <c>models card-edit</c> and <c>models show</c> against a fake model service on real gRPC.</summary>
public sealed class ModelCardCommandTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cli-card-").FullName;
    private WebApplication _app = null!;
    private string _address = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<CardModels.Received>();
        _app = builder.Build();
        _app.MapGrpcService<CardModels>();
        await _app.StartAsync();
        _address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<CliRun> Run(params string[] args) => CliRun.InvokeAsync(["--gateway", _address, .. args]);

    private CardModels.Received Received => _app.Services.GetRequiredService<CardModels.Received>();

    [Fact]
    public async Task Card_writes_the_markdown_and_each_picture_where_the_markdown_links_it()
    {
        var output = Path.Combine(_folder, "card");

        var run = await Run("models", "card", "penguins@production", "--out", output);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("penguins@production", Assert.Single(Received.References));
        Assert.Equal(CardModels.Markdown, await File.ReadAllTextAsync(Path.Combine(output, "card.md")));
        Assert.Equal(CardModels.Png, await File.ReadAllBytesAsync(Path.Combine(output, "images", "confusion-matrix.png")));
        Assert.Equal(["card.md", Path.Combine("images", "confusion-matrix.png")],
            Directory.GetFiles(output, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output, f)).Order());
        Assert.Contains("penguins version 3", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Card_of_an_uploaded_version_writes_only_card_md_and_says_the_store_wrote_it()
    {
        var output = Path.Combine(_folder, "uploaded");

        var run = await Run("models", "card", CardModels.Uploaded, "--out", output);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(CardModels.UploadedMarkdown, await File.ReadAllTextAsync(Path.Combine(output, "card.md")));
        Assert.Equal(["card.md"], Directory.GetFileSystemEntries(output, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output, f)));
        Assert.Contains("written by the store from its record", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_card_naming_a_picture_outside_images_writes_nothing()
    {
        var output = Path.Combine(_folder, "evil");

        var run = await Run("models", "card", CardModels.Escaping, "--out", output);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("outside images/", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
        Assert.False(File.Exists(Path.Combine(_folder, "evil.png")));
    }

    [Fact]
    public async Task Card_of_an_unknown_version_exits_1_with_the_stores_message()
    {
        var run = await Run("models", "card", "penguins:9", "--out", Path.Combine(_folder, "none"));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: NotFound: model version 'penguins:9' was not found", run.Error.Trim());
    }

    [Fact]
    public async Task Card_edit_sends_only_the_fields_given_and_no_actor_the_platform_records_the_caller()
    {
        var run = await Run("models", "card-edit", "penguins:3", "--limitations", "Adults only.");

        Assert.Equal(0, run.ExitCode);
        var request = Assert.Single(Received.Updates);
        Assert.Equal(("penguins:3", false, true, "Adults only.", false, ""),
            (request.Reference, request.HasIntendedUse, request.HasLimitations, request.Limitations, request.HasPrivacy, request.Actor));
        Assert.Contains("Adults only.", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Card_edit_sends_privacy_notes()
    {
        var run = await Run("models", "card-edit", "uploaded:1", "--privacy", "Reads `postcode`: personal data.");

        Assert.Equal(0, run.ExitCode);
        var request = Assert.Single(Received.Updates);
        Assert.Equal((false, false, true, "Reads `postcode`: personal data."), (request.HasIntendedUse, request.HasLimitations, request.HasPrivacy, request.Privacy));
        Assert.Contains("Reads `postcode`: personal data.", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_prints_cross_validated_metrics_with_their_std_the_per_class_table_and_the_confusion_matrix()
    {
        var run = await Run("models", "show", "penguins");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Out.Split('\n').Select(l => string.Join(' ', l.Split(['│', '|', ' '], StringSplitOptions.RemoveEmptyEntries))).ToArray();
        Assert.Contains("Evaluation: 5-fold cross-validation (mean ± standard deviation over the folds)", lines);
        Assert.Contains("accuracy 0.9740 0.0120", lines);
        Assert.Contains("log_loss NaN", lines); // a NaN mean without a deviation prints as such
        Assert.Contains("Class Support Precision Recall F1", lines);
        Assert.Contains("Adelie 152 0.9800 0.9700 0.9750", lines);
        Assert.Contains("Actual \\ predicted Adelie Gentoo", lines);
        Assert.Contains("Adelie 148 4", lines);
        Assert.Contains("Gentoo 1 123", lines);
    }

    [Fact]
    public async Task Compare_shows_two_versions_side_by_side_with_the_better_value_marked()
    {
        var run = await Run("models", "compare", "penguins:1", "penguins:2");

        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        var lines = run.Out.Split('\n').Select(l => string.Join(' ', l.Split(['│', '|', ' '], StringSplitOptions.RemoveEmptyEntries))).ToArray();
        Assert.Contains("penguins v1 penguins v2", lines);
        Assert.Contains("learning_rate 0.1 0.3", lines);
        Assert.Contains("Evaluation 5-fold cross-validation, stratified 5-fold cross-validation, stratified", lines);
        Assert.Contains("Preparation exclude_columns Island normalize Island", lines);
        Assert.Contains("accuracy 0.9100 ± 0.0100 0.9200 ± 0.0100 *", lines); // higher is better
        Assert.Contains("log_loss 0.1000 * 0.2000", lines); // lower is better
        Assert.DoesNotContain(lines, l => l.StartsWith("f1[Adelie]", StringComparison.Ordinal)); // per class: models show
        Assert.Contains("Confusion matrix of penguins v2 (rows: actual class, columns: predicted class)", lines);
        Assert.Contains("Adelie 148 4", lines);
        Assert.Contains("* the better value (lower for log_loss; higher for the rest); ± the standard deviation over the folds", lines);
    }

    [Fact]
    public async Task Compare_needs_two_versions()
    {
        var run = await Run("models", "compare", "penguins:1");

        Assert.Equal(1, run.ExitCode);
    }

    [Fact]
    public async Task Show_of_a_version_without_an_evaluation_prints_its_metrics_and_says_what_is_missing()
    {
        var run = await Run("models", "show", CardModels.Uploaded);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("auc", run.Out, StringComparison.Ordinal);
        Assert.Contains("0.9100", run.Out, StringComparison.Ordinal);
        Assert.Contains("No evaluation.json artifact", run.Out, StringComparison.Ordinal);
    }
}

/// <summary>A model service with one card and one evaluation, recording what it was asked.</summary>
public sealed class CardModels(CardModels.Received received) : ModelService.ModelServiceBase
{
    public const string Escaping = "escaping";
    public const string Uploaded = "uploaded";
    public const string Markdown = "# Model card: penguins\n\n![Confusion matrix](images/confusion-matrix.png)\n";
    public const string UploadedMarkdown = "# Model card: uploaded\n\n_No pictures: nothing was evaluated here._\n";
    public static readonly byte[] Png = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3];

    private static readonly byte[] EvaluationJson = System.Text.Encoding.UTF8.GetBytes("""
        {
          "task": "multiclass_classification",
          "evaluation": { "method": "cross_validation", "folds": 5, "holdout_fraction": 0, "stratified": true },
          "metrics": { "accuracy": 0.974, "log_loss": "NaN" },
          "standard_deviations": { "accuracy": 0.012 },
          "classes": [
            { "class": "Adelie", "support": 152, "precision": 0.98, "recall": 0.97, "f1": 0.975 },
            { "class": "Gentoo", "support": 124, "precision": 0.96, "recall": 0.99, "f1": 0.97 }
          ],
          "confusion_matrix": { "classes": ["Adelie", "Gentoo"], "counts": [[148, 4], [1, 123]] }
        }
        """);

    public sealed class Received
    {
        public ConcurrentQueue<string> References { get; } = new();
        public ConcurrentQueue<UpdateModelCardRequest> Updates { get; } = new();
    }

    public override Task<ModelCard> GetModelCard(GetModelCardRequest request, ServerCallContext context)
    {
        received.References.Enqueue(request.Reference);
        if (request.Reference == "penguins:9")
            throw new RpcException(new Status(StatusCode.NotFound, "model version 'penguins:9' was not found"));
        if (request.Reference == Uploaded)
            return Task.FromResult(new ModelCard { ModelName = Uploaded, Version = 1, Markdown = UploadedMarkdown });
        var card = new ModelCard { ModelName = "penguins", Version = 3, Markdown = Markdown, BundleSha256 = new string('c', 64) };
        card.Images.Add(new ModelCardImage { FileName = "images/confusion-matrix.png", Png = ByteString.CopyFrom(Png) });
        if (request.Reference == Escaping)
            card.Images.Add(new ModelCardImage { FileName = "images/../../evil.png", Png = ByteString.CopyFrom(Png) });
        return Task.FromResult(card);
    }

    public override Task<ModelCardFields> UpdateModelCard(UpdateModelCardRequest request, ServerCallContext context)
    {
        received.Updates.Enqueue(request);
        return Task.FromResult(new ModelCardFields
        {
            IntendedUse = request.IntendedUse, Limitations = request.Limitations, Privacy = request.Privacy, UpdatedBy = request.Actor,
            UpdatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero)),
        });
    }

    public override Task<ModelVersion> ResolveModel(ResolveModelRequest request, ServerCallContext context)
    {
        var version = new ModelVersion { ModelName = request.Reference, Version = 1, Task = "multiclass_classification", Trainer = "lightgbm" };
        if (request.Reference == Uploaded)
            version.Metrics["auc"] = 0.91;
        else
            version.Artifacts.Add(new Artifact { Kind = "evaluation", FileName = "evaluation.json", SizeBytes = EvaluationJson.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(EvaluationJson)) });
        return Task.FromResult(version);
    }

    /// <summary>Two versions as the store compares them: the second is more accurate, the first has the smaller log-loss.</summary>
    public override Task<ModelVersionComparison> CompareModelVersions(CompareModelVersionsRequest request, ServerCallContext context)
    {
        foreach (var reference in request.References) received.References.Enqueue(reference);
        var comparison = new ModelVersionComparison();
        foreach (var number in new[] { 1, 2 })
        {
            var version = new ModelVersion
            {
                ModelName = "penguins", Version = number, Task = "multiclass_classification", Trainer = "lightgbm",
                DatasetId = "ds-1", DatasetSha256 = new string('d', 64),
                Hyperparameters = { ["learning_rate"] = number == 1 ? "0.1" : "0.3" },
                PreparationSteps = { new PreparationStep { Kind = number == 1 ? "exclude_columns" : "normalize", Columns = { "Island" } } },
            };
            comparison.Versions.Add(new ComparedModelVersion
            {
                Version = version,
                Evaluation = new ComparedEvaluationMethod { Method = "cross_validation", Folds = 5, Stratified = true },
                ConfusionMatrix = new ComparedConfusionMatrix { Classes = { "Adelie", "Gentoo" }, Counts = { 148, 4, 1, 123 } },
            });
        }
        comparison.Metrics.Add(new MetricComparison
        {
            Metric = "accuracy", Direction = MetricDirection.HigherIsBetter,
            Values = { new ComparedMetricValue { Value = 0.91, StandardDeviation = 0.01 }, new ComparedMetricValue { Value = 0.92, StandardDeviation = 0.01, Better = true } },
        });
        comparison.Metrics.Add(new MetricComparison
        {
            Metric = "f1[Adelie]", Direction = MetricDirection.HigherIsBetter,
            Values = { new ComparedMetricValue { Value = 0.5 }, new ComparedMetricValue { Value = 0.5 } },
        });
        comparison.Metrics.Add(new MetricComparison
        {
            Metric = "log_loss", Direction = MetricDirection.LowerIsBetter,
            Values = { new ComparedMetricValue { Value = 0.1, Better = true }, new ComparedMetricValue { Value = 0.2 } },
        });
        return Task.FromResult(comparison);
    }

    public override async Task DownloadModelVersion(DownloadModelVersionRequest request, IServerStreamWriter<ArtifactChunk> responseStream, ServerCallContext context)
    {
        var artifact = new Artifact { Kind = request.Artifact, FileName = "evaluation.json", SizeBytes = EvaluationJson.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(EvaluationJson)) };
        await responseStream.WriteAsync(new ArtifactChunk { Artifact = artifact, Data = ByteString.CopyFrom(EvaluationJson, 0, 100) });
        await responseStream.WriteAsync(new ArtifactChunk { Data = ByteString.CopyFrom(EvaluationJson, 100, EvaluationJson.Length - 100) });
    }
}
