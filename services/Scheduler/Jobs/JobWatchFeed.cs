using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Scheduler.Data;
using Platform.ServiceDefaults.Errors;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// What every <c>WatchJob</c> stream of this process reads, from one reader (docs/scheduling.md, "Watching a job"): a
/// stream subscribes to its job here and never touches the database itself, so a thousand streams cost the scheduler
/// no more connections than one. The feed learns that a watched job changed from this process (<see cref="Notify"/>,
/// called by <see cref="JobTracker"/> after each commit) and, on PostgreSQL, from every replica through
/// <c>LISTEN/NOTIFY</c> (<see cref="JobChangeQueue"/> notifies <see cref="NotifyChannel"/> in the transaction that
/// commits the change); a re-read of every watched job each <see cref="SchedulerOptions.WatchPollInterval"/> covers
/// a notification lost while the listener was reconnecting. One round reads the rows and new events of all jobs that
/// changed in a few statements and hands them to each job's subscribers. The reader and the listener run only while
/// somebody watches.
/// </summary>
public sealed class JobWatchFeed(
    IServiceScopeFactory scopes,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<JobWatchFeed> logger) : IAsyncDisposable
{
    /// <summary>The PostgreSQL channel that carries the ids of changed jobs (comma-separated) between replicas.</summary>
    public const string NotifyChannel = "platform_job_changes";

    /// <summary>Most notifications of this process remembered (<see cref="Notifying"/>).</summary>
    private const int MaxOwnNotifications = 256;

    /// <summary>Most jobs read in one round; more wait for the next.</summary>
    private const int RoundSize = 500;

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, WatchedJob> _watched = [];
    private readonly HashSet<Guid> _due = [];
    private readonly Queue<(int Backend, string Payload)> _ownNotifications = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _reader = Task.CompletedTask;
    private bool _running;

    /// <summary>Jobs watched now (by any number of streams each).</summary>
    internal int WatchedJobs
    {
        get
        {
            lock (_gate) return _watched.Count;
        }
    }

    /// <summary>
    /// Subscribes to the job: the first update is the job as it is (<see cref="JobWatchUpdate.Snapshot"/>), then one per
    /// batch of new events, until the subscription is disposed. A job that does not exist, or is another tenant's, ends
    /// the updates with <see cref="NotFoundException"/>.
    /// </summary>
    public JobWatch Watch(string tenantId, Guid jobId)
    {
        var watch = new JobWatch(this, tenantId, jobId);
        lock (_gate)
        {
            if (!_watched.TryGetValue(jobId, out var job)) _watched[jobId] = job = new WatchedJob();
            job.Subscribers.Add(watch);
            if (job.Job is { } known) watch.Deliver(known, job.Latest, []);
            else _due.Add(jobId);
            if (!_running)
            {
                _running = true;
                _reader = Task.Run(RunAsync);
            }
        }
        Wake();
        return watch;
    }

    /// <summary>The job has changed (a commit of this process, or a notification from any replica).</summary>
    public void Notify(Guid jobId)
    {
        lock (_gate)
        {
            if (!_watched.ContainsKey(jobId) || !_due.Add(jobId)) return;
        }
        Wake();
    }

    /// <summary>
    /// This process has just committed <paramref name="job"/>'s row with <paramref name="events"/> (the events that commit
    /// added, in order): its subscribers get them at once, without a read, when they have every event before them;
    /// otherwise (a job not read yet, or a gap) the job is read in the next round as for <see cref="Notify"/>.
    /// </summary>
    public void Committed(TrainingJob job, IReadOnlyList<JobEvent> events)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            if (!_watched.TryGetValue(job.Id, out var watched)) return;
            if (watched.Job is not null && events.Count > 0 && events[0].Sequence == watched.Sequence + 1)
            {
                watched.Job = job;
                watched.Latest = events[^1];
                watched.Sequence = events[^1].Sequence;
                foreach (var watch in watched.Subscribers) watch.Deliver(job, watched.Latest, events);
                return;
            }
            if (!_due.Add(job.Id)) return;
        }
        Wake();
    }

    /// <summary>
    /// This process's <see cref="JobChangeQueue"/> is about to commit a notification of <paramref name="payload"/> from
    /// database backend <paramref name="backend"/>. Its own commit already reaches this feed (<see cref="Committed"/>), so
    /// when the listener hears exactly that notification back it reads nothing for it; any other notification, from
    /// another replica, is read as before. Only while somebody watches, and only the newest few (a transaction that rolls
    /// back never sends its notification).
    /// </summary>
    internal void Notifying(int backend, string payload)
    {
        lock (_gate)
        {
            if (_watched.Count == 0) return;
            _ownNotifications.Enqueue((backend, payload));
            if (_ownNotifications.Count > MaxOwnNotifications) _ownNotifications.Dequeue();
        }
    }

    /// <summary>Whether a notification is one this process sent (<see cref="Notifying"/>), which it then forgets.</summary>
    private bool IsOwn(int backend, string payload)
    {
        lock (_gate)
        {
            if (_ownNotifications.Count == 0) return false;
            var (first, firstPayload) = _ownNotifications.Peek();
            // Usually the oldest: notifications arrive in commit order.
            if (first == backend && firstPayload == payload)
            {
                _ownNotifications.Dequeue();
                return true;
            }
            var kept = _ownNotifications.Count;
            var found = false;
            for (var i = 0; i < kept; i++)
            {
                var entry = _ownNotifications.Dequeue();
                if (!found && entry.Backend == backend && entry.Payload == payload) found = true;
                else _ownNotifications.Enqueue(entry);
            }
            return found;
        }
    }

    private void Unsubscribe(JobWatch watch)
    {
        lock (_gate)
        {
            if (!_watched.TryGetValue(watch.JobId, out var job)) return;
            job.Subscribers.Remove(watch);
            if (job.Subscribers.Count > 0) return;
            _watched.Remove(watch.JobId);
            _due.Remove(watch.JobId);
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: the round it starts takes every due job.
        }
    }

    /// <summary>Reads rounds of due jobs while somebody watches; on PostgreSQL, listens for other replicas' changes meanwhile.</summary>
    private async Task RunAsync()
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        Task listening = Task.CompletedTask;
        var ended = false;
        try
        {
            string? listenTo;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
                listenTo = db.Database.IsNpgsql() ? db.Database.GetConnectionString() : null;
            }
            if (listenTo is not null) listening = ListenAsync(listenTo, idle.Token);

            var nextPoll = time.GetUtcNow() + options.Value.WatchPollInterval;
            while (!_stopping.IsCancellationRequested)
            {
                lock (_gate)
                {
                    if (_watched.Count == 0)
                    {
                        // Under the lock: the next Watch starts a new reader.
                        ended = true;
                        _running = false;
                        return;
                    }
                    if (time.GetUtcNow() >= nextPoll)
                    {
                        // Whatever a lost notification did not announce; a round that finds nothing new costs two small reads.
                        _due.UnionWith(_watched.Keys);
                        nextPoll = time.GetUtcNow() + options.Value.WatchPollInterval;
                    }
                }
                try
                {
                    await ReadRoundAsync(_stopping.Token);
                }
                catch (Exception ex) when (!_stopping.IsCancellationRequested)
                {
                    // The database may be restarting: the due jobs stay due for the next round.
                    logger.LogWarning(ex, "Reading watched jobs failed; retrying in {Delay}", RetryDelay);
                    await Task.Delay(RetryDelay, time, _stopping.Token);
                }
                bool more;
                lock (_gate) more = _due.Count > 0;
                if (!more) await WaitAsync(nextPoll - time.GetUtcNow(), _stopping.Token);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        finally
        {
            await idle.CancelAsync();
            await listening.ContinueWith(_ => { }, TaskScheduler.Default);
            // Stopped or failed: a later Watch may start another reader (an idle end already let it).
            if (!ended) lock (_gate) _running = false;
        }
    }

    private async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero) return;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, timer.Token);
        await Task.WhenAny(_wake.WaitAsync(timer.Token), delay);
        await timer.CancelAsync();
    }

    /// <summary>
    /// One round: of up to <see cref="RoundSize"/> due jobs, the new events of those already known (read before their
    /// rows, so a row describes at least its events), and the row with its newest event of those watched for the
    /// first time (one statement, one consistent snapshot); then each job's subscribers get what is new.
    /// </summary>
    private async Task ReadRoundAsync(CancellationToken cancellationToken)
    {
        Dictionary<Guid, int> known = [];
        List<Guid> fresh = [];
        lock (_gate)
        {
            foreach (var id in _due.Take(RoundSize).ToList())
            {
                _due.Remove(id);
                if (!_watched.TryGetValue(id, out var job)) continue;
                if (job.Job is not null) known[id] = job.Sequence;
                else fresh.Add(id);
            }
        }
        if (known.Count == 0 && fresh.Count == 0) return;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SchedulerDbContext>();
        var changes = new List<(Guid Id, TrainingJob? Job, JobEvent? Latest, List<JobEvent> Events)>();
        if (known.Count > 0)
        {
            var ids = known.Keys.ToList();
            var after = known.Values.Min();
            var events = (await db.JobEvents.AsNoTracking()
                    .Where(e => ids.Contains(e.JobId) && e.Sequence > after)
                    .ToListAsync(cancellationToken))
                .Where(e => e.Sequence > known[e.JobId])
                .GroupBy(e => e.JobId)
                .ToDictionary(g => g.Key, g => g.OrderBy(e => e.Sequence).ToList());
            if (events.Count > 0)
            {
                var changed = events.Keys.ToList();
                var rows = await db.TrainingJobs.AsNoTracking().Where(j => changed.Contains(j.Id)).ToListAsync(cancellationToken);
                changes.AddRange(rows.Select(row => (row.Id, (TrainingJob?)row, (JobEvent?)null, events[row.Id])));
            }
        }
        if (fresh.Count > 0)
        {
            var firstReads = await db.TrainingJobs.AsNoTracking()
                .Where(j => fresh.Contains(j.Id))
                .GroupJoin(db.JobEvents.AsNoTracking(), j => new { j.Id, Sequence = j.LastSequence }, e => new { Id = e.JobId, e.Sequence },
                    (j, latest) => new { Job = j, Latest = latest })
                .SelectMany(x => x.Latest.DefaultIfEmpty(), (x, latest) => new { x.Job, Latest = latest })
                .ToListAsync(cancellationToken);
            var found = firstReads.ToDictionary(r => r.Job.Id);
            changes.AddRange(fresh.Select(id => found.TryGetValue(id, out var read)
                ? (id, (TrainingJob?)read.Job, read.Latest, new List<JobEvent>())
                : (id, null, null, new List<JobEvent>())));
        }

        lock (_gate)
        {
            foreach (var (id, row, latest, read) in changes)
            {
                if (!_watched.TryGetValue(id, out var job)) continue;
                if (row is null)
                {
                    foreach (var watch in job.Subscribers) watch.NotFound();
                    continue;
                }
                // A commit of this process may have delivered some of these meanwhile (Committed): only what is newer goes out.
                var events = read;
                if (read.Count > 0)
                {
                    events = [.. read.Where(e => e.Sequence > job.Sequence)];
                    if (events.Count == 0) continue;
                }
                job.Job = row;
                if (events.Count > 0 || latest is not null) job.Latest = events.Count > 0 ? events[^1] : latest;
                job.Sequence = job.Latest?.Sequence ?? row.LastSequence;
                foreach (var watch in job.Subscribers) watch.Deliver(row, job.Latest, events);
            }
        }
    }

    /// <summary>
    /// Holds one connection of its own (not pooled) that listens on <see cref="NotifyChannel"/> while somebody watches;
    /// reconnects after a failure, and then re-reads every watched job (notifications sent meanwhile are lost).
    /// </summary>
    private async Task ListenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 30 };
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(settings.ConnectionString);
                connection.Notification += (_, notification) =>
                {
                    if (IsOwn(notification.PID, notification.Payload)) return;
                    foreach (var id in notification.Payload.Split(','))
                        if (Guid.TryParse(id, out var jobId)) Notify(jobId);
                };
                await connection.OpenAsync(cancellationToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {NotifyChannel}", connection))
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                lock (_gate) _due.UnionWith(_watched.Keys);
                Wake();
                while (true) await connection.WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Listening for job changes failed; reconnecting in {Delay}", RetryDelay);
                await Task.Delay(RetryDelay, time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _reader.ContinueWith(_ => { }, TaskScheduler.Default);
        _stopping.Dispose();
        _wake.Dispose();
    }

    /// <summary>A watched job: what its subscribers were last told, and who they are.</summary>
    private sealed class WatchedJob
    {
        public List<JobWatch> Subscribers { get; } = [];
        /// <summary>The row as last read; null until the first read.</summary>
        public TrainingJob? Job { get; set; }
        /// <summary>The newest event read.</summary>
        public JobEvent? Latest { get; set; }
        /// <summary>Sequence of the newest event the subscribers have: the next round reads the ones after it.</summary>
        public int Sequence { get; set; }
    }

    /// <summary>One stream's subscription to a job (<see cref="Watch"/>); dispose it when the stream ends.</summary>
    public sealed class JobWatch : IDisposable
    {
        private readonly JobWatchFeed _feed;
        private readonly Channel<JobWatchUpdate> _updates = Channel.CreateUnbounded<JobWatchUpdate>(new() { SingleReader = true });
        private bool _started;

        internal JobWatch(JobWatchFeed feed, string tenantId, Guid jobId)
        {
            _feed = feed;
            TenantId = tenantId;
            JobId = jobId;
        }

        public string TenantId { get; }
        public Guid JobId { get; }

        /// <summary>The updates, in order; ends with <see cref="NotFoundException"/> for a job this tenant does not have.</summary>
        public ChannelReader<JobWatchUpdate> Updates => _updates.Reader;

        /// <summary>The first call (under the feed's lock) sends the snapshot; later ones the new events.</summary>
        internal void Deliver(TrainingJob job, JobEvent? latest, IReadOnlyList<JobEvent> events)
        {
            if (job.TenantId != TenantId)
            {
                NotFound();
                return;
            }
            if (!_started)
            {
                _started = true;
                _updates.Writer.TryWrite(new JobWatchUpdate(job, latest, []));
                return;
            }
            if (events.Count > 0) _updates.Writer.TryWrite(new JobWatchUpdate(job, null, events));
        }

        // Another tenant's job is indistinguishable from one that does not exist.
        internal void NotFound() => _updates.Writer.TryComplete(new NotFoundException("job", JobId.ToString()));

        public void Dispose()
        {
            _feed.Unsubscribe(this);
            _updates.Writer.TryComplete();
        }
    }
}

/// <summary>
/// What a <see cref="JobWatchFeed.JobWatch"/> receives: first the job as it is with its newest event (<see cref="Latest"/>,
/// no <see cref="Events"/>), then the job's row with the events that are new since the last update.
/// </summary>
public sealed record JobWatchUpdate(TrainingJob Job, JobEvent? Latest, IReadOnlyList<JobEvent> Events);
