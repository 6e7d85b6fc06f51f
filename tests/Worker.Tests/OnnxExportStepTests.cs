using System.Security.Cryptography;
using Microsoft.ML;
using Platform.Contracts;

namespace Platform.Worker.Tests;

public sealed class OnnxExportStepTests : IAsyncLifetime
{
    private WorkerUnderTest _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task A_pipeline_the_converter_supports_registers_model_onnx_and_leaves_model_zip_as_trained()
    {
        var job = WorkerUnderTest.Job(_worker.AddPenguins());

        var completed = Assert.IsType<TrainingJobCompleted>((await _worker.TrainAsync(job))[^1]);

        var registration = Assert.Single(_worker.Store.Data.Registrations);
        var onnx = Assert.Single(registration.Artifacts, a => a.Header.Kind == "onnx");
        Assert.Equal("model.onnx", onnx.Header.FileName);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(onnx.Bytes)), onnx.Header.Sha256);
        Assert.True(onnx.Bytes.Length > 1000);
        Assert.Equal("exported", registration.Version.Tags["onnx_export"]);
        // The export reads the saved zip and never rewrites it: the registered model is the one the run reported.
        Assert.Equal(completed.ModelSha256, registration.Artifacts.Single(a => a.Header.Kind == "model").Header.Sha256);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_worker.Scratch));
    }

    [Fact]
    public async Task A_pipeline_the_converter_cannot_translate_still_succeeds_and_records_why()
    {
        var job = WorkerUnderTest.Job(_worker.AddPenguins()) with
        {
            Preparation = new PreparationSpec { Columns = [new ColumnPreparationSpec { Name = "Beak Length (mm)", MissingValues = "median" }] },
        };

        var events = await _worker.TrainAsync(job);

        Assert.IsType<TrainingJobCompleted>(events[^1]);
        var registration = Assert.Single(_worker.Store.Data.Registrations);
        Assert.DoesNotContain(registration.Artifacts, a => a.Header.Kind == "onnx");
        Assert.StartsWith("ONNX export not supported: the ExpressionTransformer stage (the median or most-frequent fill",
            registration.Version.Tags["onnx_export"], StringComparison.Ordinal);
        var model = registration.Artifacts.Single(a => a.Header.Kind == "model");
        using var zip = new MemoryStream(model.Bytes);
        new MLContext().Model.LoadWithDataLoader(zip, out _);
    }
}
