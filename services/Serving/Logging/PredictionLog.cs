using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Platform.Serving.Data;
using Platform.Serving.Models;
using Platform.Serving.V1;

namespace Platform.Serving.Logging;

/// <summary>
/// The prediction log's intake, on the request path: it only decides whether a request is sampled and queues references
/// to the request and its answer (no copy, no formatting, no I/O). <see cref="PredictionLogWriter"/> turns them into rows
/// and writes them in batches on its own. The queue holds at most <c>Serving:PredictionLog:QueueCapacity</c> rows; past
/// that, new rows are dropped and counted (<c>platform.serving.prediction_log.dropped</c>) rather than slowing anyone down.
/// Reported outcomes go through the same queue (they are small and never sampled).
/// </summary>
internal sealed class PredictionLog(IOptions<ServingOptions> options, TimeProvider time)
{
    private static readonly Meter Meter = new("Platform.Serving");
    private static readonly Counter<long> Dropped = Meter.CreateCounter<long>("platform.serving.prediction_log.dropped",
        description: "Predicted rows not logged because the log's queue was full");

    private readonly Channel<LogItem> _items = Channel.CreateUnbounded<LogItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly double _sampleRate = options.Value.PredictionLog.SampleRate;
    private readonly int _capacity = options.Value.PredictionLog.QueueCapacity;
    private long _queuedRows;

    internal ChannelReader<LogItem> Items => _items.Reader;

    /// <summary>Rows waiting to be written.</summary>
    public long QueuedRows => Interlocked.Read(ref _queuedRows);

    /// <summary>
    /// Whether a request is logged: decided by its id (FNV-1a, 64 bits, against <c>SampleRate</c>), so a request is logged
    /// whole or not at all, the same way on every replica, and a test can tell which ids are in.
    /// </summary>
    public bool Samples(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        if (_sampleRate >= 1) return true;
        if (_sampleRate <= 0) return false;
        var hash = 14695981039346656037UL;
        foreach (var c in requestId)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash / (double)ulong.MaxValue < _sampleRate;
    }

    /// <summary>Queues a served request, if it is sampled and the queue has room.</summary>
    public void Predicted(string tenant, string reference, PredictRequest request, PredictResponse response, ServedVersion version)
    {
        if (!Samples(response.RequestId)) return;
        var rows = response.Predictions.Count;
        if (Interlocked.Add(ref _queuedRows, rows) > _capacity)
        {
            Interlocked.Add(ref _queuedRows, -rows);
            Dropped.Add(rows);
            return;
        }
        _items.Writer.TryWrite(new PredictedItem(tenant, reference, request, response, version, time.GetUtcNow()));
    }

    /// <summary>Queues a reported outcome.</summary>
    public void OutcomeReported(PredictionOutcome outcome)
    {
        Interlocked.Increment(ref _queuedRows);
        _items.Writer.TryWrite(new OutcomeItem(outcome));
    }

    /// <summary>The writer took <paramref name="rows"/> rows off the queue (written or given up).</summary>
    internal void Taken(int rows) => Interlocked.Add(ref _queuedRows, -rows);

    /// <summary>Rows the writer gave up on.</summary>
    internal static void Lost(int rows) => Dropped.Add(rows);
}

/// <summary>Something waiting to be written.</summary>
internal abstract record LogItem
{
    /// <summary>How many rows it becomes.</summary>
    public abstract int Rows { get; }
}

internal sealed record PredictedItem(
    string Tenant, string Reference, PredictRequest Request, PredictResponse Response, ServedVersion Version, DateTimeOffset At) : LogItem
{
    public override int Rows => Response.Predictions.Count;
}

internal sealed record OutcomeItem(PredictionOutcome Outcome) : LogItem
{
    public override int Rows => 1;
}
