using System.Threading.Channels;
using MassTransit;
using Platform.Contracts;
using Platform.Training;

namespace Platform.Worker.Training;

/// <summary>
/// Turns progress reports (from any thread, the training thread included) into
/// <see cref="TrainingJobProgressed"/> events, published in order by one background loop.
/// Every stage change is published; within a stage, at most one report per
/// <see cref="MinimumInterval"/>, so a chatty stage cannot flood the bus. Progress is advisory:
/// a failed publish is logged and the job goes on.
/// </summary>
public sealed class JobProgressReporter : IProgress<TrainingProgress>, IAsyncDisposable
{
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(250);

    private readonly Channel<TrainingJobProgressed> _pending = Channel.CreateUnbounded<TrainingJobProgressed>(new() { SingleReader = true });
    private readonly TrainModel _job;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Task _publishing;
    private readonly Action<string, double>? _observer;
    private string? _stage;
    private long _lastPublished;

    /// <param name="observer">Also told every report, unthrottled (the worker's heartbeat carries the latest).</param>
    public JobProgressReporter(IPublishEndpoint publisher, TrainModel job, TimeProvider time, ILogger logger, CancellationToken cancellationToken,
        Action<string, double>? observer = null)
    {
        _job = job;
        _time = time;
        _observer = observer;
        _publishing = PublishAsync(publisher, logger, cancellationToken);
    }

    public void Report(TrainingProgress value) => Report(JobStages.Of(value.Stage), value.Fraction, value.Message);

    /// <summary>Reports progress of a stage by its wire name (see <see cref="JobStages"/>).</summary>
    public void Report(string stage, double fraction, string message)
    {
        _observer?.Invoke(stage, fraction);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (stage == _stage && _time.GetElapsedTime(_lastPublished, now) < MinimumInterval)
                return;
            _stage = stage;
            _lastPublished = now;
            _pending.Writer.TryWrite(new TrainingJobProgressed(_job.JobId, _job.Attempt, stage, Math.Clamp(fraction, 0, 1), message, _time.GetUtcNow()));
        }
    }

    /// <summary>Publishes what is still queued; afterwards nothing more is published. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _publishing;
    }

    private async Task PublishAsync(IPublishEndpoint publisher, ILogger logger, CancellationToken cancellationToken)
    {
        await foreach (var progressed in _pending.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                await publisher.Publish(progressed, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Could not publish progress of job {JobId}", _job.JobId);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
