using Microsoft.EntityFrameworkCore;
using Platform.Scheduler.Data;
using Platform.Scheduler.Jobs;
using Platform.Training;
using Platform.Training.Catalogue;

namespace Platform.Scheduler.Sweeps;

/// <summary>
/// Moves one sweep on, from what PostgreSQL holds (so any replica, and a restarted scheduler, does the same):
/// stores the next trials while fewer than <c>max_parallel</c> are queued or running, each as a queued job that the
/// dispatch pass hands to a worker like any other (priority, tenant and queue limits apply); ends the sweep Failed
/// at <c>max_failed</c> failed trials (cancelling the others); and once every trial has ended, stores the final job
/// that trains the best trial's spec again (deterministic: the same model) and registers it, tagged with the sweep.
/// A trial is stored, together with the sweep's trial count, before it is dispatched, in one transaction guarded by
/// the sweep's version: two passes at once store it once, and a crash in between stores nothing.
/// </summary>
public sealed class SweepProgress(
    SchedulerDbContext db,
    JobTracker tracker,
    DispatchSignal dispatch,
    TimeProvider time,
    ILogger<SweepProgress> logger)
{
    /// <summary>
    /// One step for sweep <paramref name="sweepId"/>; returns whether anything changed. Most steps only count the trials
    /// (a trial ended: is there room for the next?); the trials themselves are read only for a suggestion that learns
    /// from them (Bayesian, successive halving), to cancel them, and once every trial has ended, to pick the best: a pass
    /// costs the same with 10 trials stored as with 10,000.
    /// </summary>
    public async Task<bool> AdvanceAsync(Guid sweepId, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var sweep = await db.Sweeps.SingleOrDefaultAsync(s => s.Id == sweepId, cancellationToken);
        if (sweep is null || sweep.IsEnded) return false;
        var now = Now();

        if (sweep.State == SweepState.Registering)
        {
            var final = await db.TrainingJobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == sweep.FinalJobId, cancellationToken);
            if (final is null || !final.State.IsTerminal()) return false;
            if (final is { State: JobState.Succeeded, Result: { } result }) sweep.Succeed(result.ModelName, result.ModelVersion, now);
            else sweep.Fail($"registering the model of trial {sweep.BestTrial} failed: job {final.Id} ended {final.State}: {final.FailureReason}", now);
            return await SaveAsync(sweep, cancellationToken);
        }

        var definition = sweep.Definition;
        var (active, failed) = await CountTrialsAsync(sweepId, cancellationToken);
        if (definition.MaxFailed > 0 && failed >= definition.MaxFailed)
        {
            sweep.Fail($"{failed} trials failed (max_failed = {definition.MaxFailed})", now);
            if (!await SaveAsync(sweep, cancellationToken)) return false;
            await CancelTrialsAsync(sweep, await JobsAsync(sweepId, cancellationToken), "the sweep failed", cancellationToken);
            return true;
        }

        var planned = SearchSpace.PlannedTrials(definition);
        // Past the time budget nothing more is suggested; what runs finishes, then the best is registered.
        var timeLeft = sweep.Deadline is not { } deadline || now < deadline;
        if (sweep.TrialsCreated < planned && timeLeft)
        {
            var room = Math.Min(definition.MaxParallel - active, planned - sweep.TrialsCreated);
            if (room <= 0) return false;
            var first = sweep.TrialsCreated + 1;
            // What Bayesian search and successive halving learn from: the stored trials in number order (so the same
            // rows give the same suggestion whichever pass, replica or restart asks), each new one added as stored.
            var records = SearchSpace.LearnsFromTrials(definition)
                ? SweepLeaderboard.Of(definition, await JobsAsync(sweepId, cancellationToken)).Records(definition).ToList()
                : [];
            for (var number = first; number < first + room; number++)
            {
                var (trial, record) = Trial(sweep, number, records, now);
                db.TrainingJobs.Add(trial);
                records.Add(record);
            }
            sweep.TrialsStored(first + room - 1);
            if (!await SaveAsync(sweep, cancellationToken)) return false;
            logger.LogInformation("Sweep {SweepId}: trials {First} to {Last} of {Planned} queued", sweep.Id, first, first + room - 1, planned);
            dispatch.JobQueued();
            return true;
        }
        if (active > 0) return false;

        var board = SweepLeaderboard.Of(definition, await JobsAsync(sweepId, cancellationToken));
        if (board.Best is not { } best)
        {
            sweep.Fail($"none of the {board.Trials.Count} trials succeeded with a value of {definition.Objective.Metric}", now);
            return await SaveAsync(sweep, cancellationToken);
        }
        var finalJob = TrainingJob.ForSweep(Guid.CreateVersion7(now), sweep.TenantId, sweep.Id, best.Number, evaluateOnly: false, best.Job.Spec,
            now, sweep.DatasetSha256);
        db.TrainingJobs.Add(finalJob);
        sweep.Register(best.Number, finalJob.Id);
        if (!await SaveAsync(sweep, cancellationToken)) return false;
        logger.LogInformation("Sweep {SweepId}: best trial {Trial} ({Metric} = {Objective}); job {JobId} registers its model",
            sweep.Id, best.Number, definition.Objective.Metric, best.Objective, finalJob.Id);
        dispatch.JobQueued();
        return true;
    }

    /// <summary>The sweep's trials queued or running, and those that count as failed (<see cref="SweepLeaderboard"/>'s counts), in one query.</summary>
    private async Task<(int Active, int Failed)> CountTrialsAsync(Guid sweepId, CancellationToken cancellationToken)
    {
        var byState = await db.TrainingJobs.AsNoTracking().Where(j => j.SweepId == sweepId && j.EvaluateOnly)
            .GroupBy(j => j.State).Select(g => new { State = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        return (byState.Where(g => SweepLeaderboard.IsActive(g.State)).Sum(g => g.Count), byState.Where(g => SweepLeaderboard.CountsAsFailed(g.State)).Sum(g => g.Count));
    }

    private Task<List<TrainingJob>> JobsAsync(Guid sweepId, CancellationToken cancellationToken) =>
        db.TrainingJobs.AsNoTracking().Where(j => j.SweepId == sweepId).ToListAsync(cancellationToken);

    /// <summary>Cancels the sweep and every trial (and final job) not yet ended; an ended sweep is left as it is.</summary>
    public async Task<Sweep?> CancelAsync(string tenantId, Guid sweepId, string reason, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var sweep = await db.Sweeps.SingleOrDefaultAsync(s => s.Id == sweepId && s.TenantId == tenantId, cancellationToken);
            if (sweep is null) return null;
            if (!sweep.Cancel(string.IsNullOrWhiteSpace(reason) ? "cancelled on request" : reason, Now())) return sweep;
            // A pass that stored trials meanwhile bumped the version: read again, and cancel those too.
            if (!await SaveAsync(sweep, cancellationToken) && attempt < 5) continue;
            var jobs = await db.TrainingJobs.AsNoTracking().Where(j => j.SweepId == sweepId).ToListAsync(cancellationToken);
            await CancelTrialsAsync(sweep, jobs, $"sweep {sweepId} cancelled", cancellationToken);
            return sweep;
        }
    }

    private async Task CancelTrialsAsync(Sweep sweep, IEnumerable<TrainingJob> jobs, string reason, CancellationToken cancellationToken)
    {
        foreach (var job in jobs.Where(j => !j.State.IsTerminal()))
        {
            // The tracker tells the worker to stop at once (AttemptToStop), as CancelJob does.
            var now = time.GetUtcNow();
            await tracker.ApplyAsync(job.Id, "sweep ended", j => j.Cancel(reason, now), cancellationToken);
        }
        logger.LogInformation("Sweep {SweepId} {State}: its remaining trials are cancelled", sweep.Id, sweep.State);
    }

    /// <summary>Trial <paramref name="number"/>: the base spec with the suggested trainer and hyperparameters, resolved as a job's are.</summary>
    private static (TrainingJob Trial, TrialRecord Record) Trial(Sweep sweep, int number, IReadOnlyList<TrialRecord> trials, DateTimeOffset now)
    {
        var suggestion = SearchSpace.Suggest(sweep.Definition, number, trials);
        var trainer = sweep.Definition.Trainers.Single(t => t.Name == suggestion.Trainer);
        var values = new Dictionary<string, string>(trainer.Fixed);
        foreach (var (name, value) in suggestion.Parameters) values[name] = value;
        if (suggestion.Budget is { } budget && trainer.BudgetHyperparameter is { } budgetName)
            values[budgetName] = budget.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var settings = TrainerCatalogue.Validate(TrainingTasks.Parse(sweep.BaseSpec.Task), trainer.Name, values);
        var spec = sweep.BaseSpec with { Trainer = settings.Trainer.Name, Hyperparameters = new Dictionary<string, string>(settings.Hyperparameters) };
        var job = TrainingJob.ForSweep(Guid.CreateVersion7(now), sweep.TenantId, sweep.Id, number, evaluateOnly: true, spec, now, sweep.DatasetSha256);
        // As the leaderboard will read it back from the stored row (the catalogue's canonical text of each value).
        var searched = trainer.Space.ToDictionary(d => d.Name, d => spec.Hyperparameters[d.Name], StringComparer.Ordinal);
        return (job, new TrialRecord(number, trainer.Name, searched, suggestion.Budget, Ended: false, Loss: null));
    }

    /// <summary>Saves; false when another pass (or a cancellation) changed the sweep first: the next pass starts again from the rows.</summary>
    private async Task<bool> SaveAsync(Sweep sweep, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException ex)
        {
            logger.LogDebug(ex, "Sweep {SweepId} changed meanwhile; the next pass carries on", sweep.Id);
            db.ChangeTracker.Clear();
            return false;
        }
    }

    /// <summary>PostgreSQL keeps microseconds: drop the rest, so the stored time equals every later read.</summary>
    private DateTimeOffset Now()
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }
}
