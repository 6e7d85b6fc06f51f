using Npgsql;
using Xunit.Sdk;

namespace Platform.Faults.Tests;

/// <summary>
/// The fault suite's verdict on a run, read from the stores themselves rather than from what the services say:
/// <list type="bullet">
/// <item>every submitted job exists once and has exactly one terminal state (the scheduler's <c>training_jobs</c>
/// row is terminal, and its <c>job_events</c> hold exactly one terminal event, the last one, of that state);</item>
/// <item>no job was created that was not submitted (a duplicate submission made no second job);</item>
/// <item>Succeeded jobs = registered model versions: each Succeeded job has exactly one version in the model store,
/// the one it reports; every other job has none, and no version names a job the scheduler does not know;</item>
/// <item>no blob without a version and no version without its blob: every artifact row's file is in the blob
/// folder, every version has artifacts, and every file in the blob folder belongs to an artifact or a data set.</item>
/// </list>
/// </summary>
public static class HistoryCheck
{
    private static readonly string[] TerminalStates = ["Succeeded", "Failed", "Cancelled", "TimedOut"];

    /// <summary>What a checked history holds, for the test output.</summary>
    public sealed record Report(int Jobs, IReadOnlyDictionary<string, int> States, int Versions, int Blobs, int MaxAttempt)
    {
        public override string ToString() =>
            $"{Jobs} jobs ({string.Join(", ", States.OrderBy(s => s.Key).Select(s => $"{s.Value} {s.Key}"))}), " +
            $"{Versions} model versions, {Blobs} blobs, highest attempt {MaxAttempt}";
    }

    /// <summary>Checks the history of a run and throws, listing every violation, when it does not hold.</summary>
    /// <param name="schedulerDatabase">Connection string of the scheduler's database.</param>
    /// <param name="storeDatabase">Connection string of the model store's database.</param>
    /// <param name="blobRoot">The model store's <c>BlobStore:Root</c>.</param>
    /// <param name="submitted">The ids of every job the run submitted (duplicates of one submission count once).</param>
    public static async Task<Report> AssertAsync(string schedulerDatabase, string storeDatabase, string blobRoot, IReadOnlyCollection<string> submitted)
    {
        ArgumentNullException.ThrowIfNull(submitted);
        var problems = new List<string>();
        var expected = submitted.Select(Guid.Parse).ToHashSet();

        var jobs = new Dictionary<Guid, (string State, int Attempt, string? Model, int? Version)>();
        var terminalEvents = new Dictionary<Guid, List<(long Sequence, string State)>>();
        var lastSequence = new Dictionary<Guid, long>();
        await using (var scheduler = new NpgsqlConnection(schedulerDatabase))
        {
            await scheduler.OpenAsync();
            await using (var command = new NpgsqlCommand("select id, state, attempt, result_model_name, result_model_version from training_jobs", scheduler))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    jobs[reader.GetGuid(0)] = (reader.GetString(1), reader.GetInt32(2),
                        reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetInt32(4));
            await using (var command = new NpgsqlCommand("select job_id, sequence, state from job_events", scheduler))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                {
                    var (job, sequence, state) = (reader.GetGuid(0), Convert.ToInt64(reader.GetValue(1)), reader.GetString(2));
                    lastSequence[job] = Math.Max(lastSequence.GetValueOrDefault(job), sequence);
                    if (TerminalStates.Contains(state))
                    {
                        if (!terminalEvents.TryGetValue(job, out var list)) terminalEvents[job] = list = [];
                        list.Add((sequence, state));
                    }
                }
        }

        foreach (var id in expected)
        {
            if (!jobs.TryGetValue(id, out var job))
            {
                problems.Add($"job {id} was submitted but the scheduler has no row for it");
                continue;
            }
            if (!TerminalStates.Contains(job.State)) problems.Add($"job {id} is {job.State}, not in a terminal state");
            var ends = terminalEvents.GetValueOrDefault(id) ?? [];
            if (ends.Count != 1)
                problems.Add($"job {id} has {ends.Count} terminal events ({string.Join(", ", ends.Select(e => e.State))}), not exactly one");
            else if (ends[0].State != job.State || ends[0].Sequence != lastSequence[id])
                problems.Add($"job {id}: its terminal event ({ends[0].State}, #{ends[0].Sequence}) is not its last event (#{lastSequence[id]}) or not its state {job.State}");
        }
        foreach (var id in jobs.Keys.Where(id => !expected.Contains(id)))
            problems.Add($"job {id} ({jobs[id].State}) exists but was never submitted (a duplicate submission?)");

        var versions = new List<(Guid Id, string? JobId, int Version, string Model)>();
        var artifacts = new List<(Guid VersionId, string Sha256)>();
        var datasetBlobs = new HashSet<string>(StringComparer.Ordinal);
        await using (var store = new NpgsqlConnection(storeDatabase))
        {
            await store.OpenAsync();
            await using (var command = new NpgsqlCommand("select v.id, v.job_id, v.version, m.name from model_versions v join models m on m.id = v.model_id", store))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    versions.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2), reader.GetString(3)));
            await using (var command = new NpgsqlCommand("select model_version_id, sha256 from artifacts", store))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    artifacts.Add((reader.GetGuid(0), reader.GetString(1)));
            await using (var command = new NpgsqlCommand("select sha256 from datasets", store))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    datasetBlobs.Add(reader.GetString(0));
        }

        var versionsByJob = versions.Where(v => v.JobId is not null).ToLookup(v => Guid.Parse(v.JobId!));
        foreach (var (id, job) in jobs)
        {
            var registered = versionsByJob[id].ToList();
            if (job.State == "Succeeded")
            {
                if (registered.Count != 1)
                    problems.Add($"job {id} Succeeded with {registered.Count} registered model versions, not one");
                else if (registered[0].Model != job.Model || registered[0].Version != job.Version)
                    problems.Add($"job {id} reports {job.Model} v{job.Version} but the store registered {registered[0].Model} v{registered[0].Version}");
            }
            else if (registered.Count != 0)
                problems.Add($"job {id} is {job.State} yet has {registered.Count} registered model version(s)");
        }
        foreach (var orphan in versionsByJob.Where(g => !jobs.ContainsKey(g.Key)))
            problems.Add($"model version(s) {string.Join(", ", orphan.Select(v => $"{v.Model} v{v.Version}"))} name job {orphan.Key}, which the scheduler does not know");

        var files = Directory.Exists(Path.Combine(blobRoot, "sha256"))
            ? Directory.EnumerateFiles(Path.Combine(blobRoot, "sha256"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal)
            : [];
        var artifactBlobs = artifacts.Select(a => a.Sha256).ToHashSet(StringComparer.Ordinal);
        foreach (var missing in artifactBlobs.Where(sha => !files.Contains(sha)))
            problems.Add($"artifact blob {missing} has a row but no file");
        foreach (var version in versions.Where(v => artifacts.All(a => a.VersionId != v.Id)))
            problems.Add($"model version {version.Model} v{version.Version} has no artifacts");
        foreach (var orphan in files.Where(f => !artifactBlobs.Contains(f!) && !datasetBlobs.Contains(f!)))
            problems.Add($"blob file {orphan} belongs to no artifact and no data set");

        if (problems.Count > 0)
            throw new XunitException($"The history check failed ({problems.Count} problem(s)):\n  " + string.Join("\n  ", problems));
        return new Report(expected.Count, jobs.Values.GroupBy(j => j.State).ToDictionary(g => g.Key, g => g.Count()),
            versions.Count, files.Count, jobs.Values.Select(j => j.Attempt).DefaultIfEmpty().Max());
    }
}
