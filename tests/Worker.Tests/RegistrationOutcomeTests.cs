using Grpc.Core;
using Platform.Contracts;

namespace Platform.Worker.Tests;

/// <summary>
/// Issue 15, defects 9 and 2: what the worker does with the store's answer to its registration. A version that holds
/// other model bytes than the attempt uploaded is not the job's result; a refused registration deletes what the
/// attempt staged over the byte stream.
/// </summary>
public sealed class RegistrationOutcomeTests : IAsyncLifetime
{
    private WorkerUnderTest _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task A_version_holding_other_model_bytes_than_uploaded_fails_the_job_for_good()
    {
        var someoneElses = new string('a', 64);
        _worker.Store.Data.AnswerWithModelSha256 = someoneElses;

        var events = await _worker.TrainAsync(WorkerUnderTest.Job(_worker.AddPenguins()));

        var failed = Assert.IsType<TrainingJobFailed>(events[^1]);
        Assert.True(failed.Permanent);
        Assert.Contains($"whose model has sha256 {someoneElses}, but this attempt trained and uploaded sha256 ", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(events, e => e is TrainingJobCompleted);
    }

    [Fact]
    public async Task A_registration_refused_as_already_existing_fails_the_job_for_good()
    {
        _worker.Store.Data.FailRegistrationWith = StatusCode.AlreadyExists;

        var events = await _worker.TrainAsync(WorkerUnderTest.Job(_worker.AddPenguins()));

        var failed = Assert.IsType<TrainingJobFailed>(events[^1]);
        Assert.True(failed.Permanent);
        Assert.StartsWith("Model store answered AlreadyExists", failed.Reason, StringComparison.Ordinal);
    }
}

/// <summary>The same with the store's byte stream configured: the artifacts are staged there first.</summary>
public sealed class StagedRegistrationTests : IAsyncLifetime
{
    private WorkerUnderTest _worker = null!;

    public async Task InitializeAsync() => _worker = await WorkerUnderTest.StartAsync(byteStream: true);

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task A_refused_registration_deletes_every_upload_the_attempt_staged()
    {
        _worker.Store.Data.FailRegistrationWith = StatusCode.FailedPrecondition;

        var events = await _worker.TrainAsync(WorkerUnderTest.Job(_worker.AddPenguins()));

        Assert.IsType<TrainingJobFailed>(events[^1]);
        Assert.Empty(_worker.Store.Data.Staged);
        Assert.True(_worker.Store.Data.DeletedUploads.Count >= 4, $"{_worker.Store.Data.DeletedUploads.Count} uploads deleted");
    }

    [Fact]
    public async Task A_registration_that_succeeds_uses_the_staged_uploads_and_deletes_none()
    {
        var events = await _worker.TrainAsync(WorkerUnderTest.Job(_worker.AddPenguins()));

        Assert.IsType<TrainingJobCompleted>(events[^1]);
        Assert.Empty(_worker.Store.Data.Staged);
        Assert.Empty(_worker.Store.Data.DeletedUploads);
        var registration = Assert.Single(_worker.Store.Data.Registrations);
        Assert.All(registration.Artifacts, a => Assert.NotEmpty(a.Header.UploadId));
    }
}
