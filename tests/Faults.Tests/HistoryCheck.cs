using System.Security.Cryptography;
using Npgsql;
using Xunit.Sdk;

namespace Platform.Faults.Tests;

/// <summary>
/// The fault suite's verdict on a run, read from the stores themselves rather than from what the services say
/// (<see cref="ReadAsync"/>), then judged on its own (<see cref="Verify"/>, tested on fabricated histories):
/// <list type="bullet">
/// <item>every submitted job exists once and has exactly one terminal state (the scheduler's <c>training_jobs</c>
/// row is terminal, and its <c>job_events</c> hold exactly one terminal event, the last one, of that state);</item>
/// <item>no job was created that was not submitted (a duplicate submission made no second job);</item>
/// <item>Succeeded jobs = registered model versions: each Succeeded job has exactly one version in the model store,
/// the one it reports, whose <c>model</c> artifact has the SHA-256 the job reports; every other job has none, and no
/// version names a job the scheduler does not know;</item>
/// <item>no blob without a version and no version without its blob: every artifact row's file is in the blob
/// folder, every version has artifacts, every file in the blob folder belongs to an artifact or a data set (unless the
/// store was killed soon after the file was written: a registration moves its blobs into place and then commits its
/// rows, so a kill between the two leaves an orphan for the maintenance sweep, never a row without its bytes), and
/// every blob file's bytes hash to the SHA-256 it is stored under;</item>
/// <item>nothing left in the store's temp folder (staged uploads nobody used, uploads never finished), unless a process
/// was killed (SIGKILL) while it could have been using the file: a worker between staging its artifacts and registering
/// them, or the store itself. Such files wait for the store's maintenance sweep.</item>
/// </list>
/// </summary>
public static class HistoryCheck
{
    /// <summary>
    /// How long after a temp file was last written a kill still explains it: staging is followed at once by the
    /// registration that takes the files, so a file this old whose writer was not killed is a leftover.
    /// </summary>
    public static readonly TimeSpan KillExcuse = TimeSpan.FromSeconds(60);

    private static readonly string[] TerminalStates = ["Succeeded", "Failed", "Cancelled", "TimedOut"];

    /// <summary>A <c>training_jobs</c> row.</summary>
    public sealed record JobRow(Guid Id, string State, int Attempt, string? Model, int? Version, string? ModelSha256);

    /// <summary>A <c>job_events</c> row.</summary>
    public sealed record EventRow(Guid JobId, long Sequence, string State);

    /// <summary>A <c>model_versions</c> row with its model's name.</summary>
    public sealed record VersionRow(Guid Id, string? JobId, int Version, string Model);

    /// <summary>An <c>artifacts</c> row.</summary>
    public sealed record ArtifactRow(Guid VersionId, string Kind, string Sha256);

    /// <summary>
    /// A file of the blob folder: its name (the SHA-256 it is stored under), the SHA-256 of its bytes and when it was last
    /// written (a move into place keeps the time the upload was written).
    /// </summary>
    public sealed record BlobFile(string Name, string ContentSha256, DateTimeOffset WrittenAt = default);

    /// <summary>A file in the store's temp folder and when it was last written.</summary>
    public sealed record TempFile(string Name, DateTimeOffset WrittenAt);

    /// <summary>Everything the check judges.</summary>
    public sealed record History(
        IReadOnlyList<JobRow> Jobs,
        IReadOnlyList<EventRow> Events,
        IReadOnlyList<VersionRow> Versions,
        IReadOnlyList<ArtifactRow> Artifacts,
        IReadOnlySet<string> DatasetBlobs,
        IReadOnlyList<BlobFile> Blobs,
        IReadOnlyList<TempFile> TempFiles);

    /// <summary>What a checked history holds, for the test output.</summary>
    public sealed record Report(int Jobs, IReadOnlyDictionary<string, int> States, int Versions, int Blobs, int MaxAttempt, int TempFilesExcused,
        int OrphansExcused = 0)
    {
        public override string ToString() =>
            $"{Jobs} jobs ({string.Join(", ", States.OrderBy(s => s.Key).Select(s => $"{s.Value} {s.Key}"))}), " +
            $"{Versions} model versions, {Blobs} blobs, highest attempt {MaxAttempt}, {TempFilesExcused} temp files left by killed processes, " +
            $"{OrphansExcused} orphan blobs left by store kills";
    }

    /// <summary>When processes were killed (SIGKILL) during a run: any worker or the store, and the store alone.</summary>
    public sealed record Kills(IReadOnlyCollection<DateTimeOffset> Any, IReadOnlyCollection<DateTimeOffset> Store)
    {
        public static readonly Kills None = new([], []);

        /// <summary>Whether one of <paramref name="kills"/> came soon enough after <paramref name="writtenAt"/> to explain a file left then.</summary>
        internal static bool Explain(IEnumerable<DateTimeOffset> kills, DateTimeOffset writtenAt) =>
            // A kill can only explain a file written before it (a second's slack for the file system's timestamps).
            kills.Any(kill => kill >= writtenAt - TimeSpan.FromSeconds(1) && kill - writtenAt <= KillExcuse);
    }

    /// <summary>Checks the history of a run and throws, listing every violation, when it does not hold.</summary>
    /// <param name="schedulerDatabase">Connection string of the scheduler's database.</param>
    /// <param name="storeDatabase">Connection string of the model store's database.</param>
    /// <param name="blobRoot">The model store's <c>BlobStore:Root</c>.</param>
    /// <param name="submitted">The ids of every job the run submitted (duplicates of one submission count once).</param>
    /// <param name="kills">When a worker or the model store was killed (SIGKILL) during the run.</param>
    public static async Task<Report> AssertAsync(string schedulerDatabase, string storeDatabase, string blobRoot, IReadOnlyCollection<string> submitted,
        Kills? kills = null)
    {
        var history = await ReadAsync(schedulerDatabase, storeDatabase, blobRoot);
        var (problems, report) = Verify(history, submitted, kills ?? Kills.None);
        if (problems.Count > 0)
            throw new XunitException($"The history check failed ({problems.Count} problem(s)):\n  " + string.Join("\n  ", problems));
        return report;
    }

    /// <summary>Reads the history from the scheduler's and the store's databases and the store's blob folder.</summary>
    public static async Task<History> ReadAsync(string schedulerDatabase, string storeDatabase, string blobRoot)
    {
        var jobs = new List<JobRow>();
        var events = new List<EventRow>();
        await using (var scheduler = new NpgsqlConnection(schedulerDatabase))
        {
            await scheduler.OpenAsync();
            await using (var command = new NpgsqlCommand(
                "select id, state, attempt, result_model_name, result_model_version, model_sha256 from training_jobs", scheduler))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    jobs.Add(new JobRow(reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), NullableString(reader, 3),
                        reader.IsDBNull(4) ? null : reader.GetInt32(4), NullableString(reader, 5)));
            await using (var command = new NpgsqlCommand("select job_id, sequence, state from job_events", scheduler))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    events.Add(new EventRow(reader.GetGuid(0), Convert.ToInt64(reader.GetValue(1)), reader.GetString(2)));
        }

        var versions = new List<VersionRow>();
        var artifacts = new List<ArtifactRow>();
        var datasetBlobs = new HashSet<string>(StringComparer.Ordinal);
        await using (var store = new NpgsqlConnection(storeDatabase))
        {
            await store.OpenAsync();
            await using (var command = new NpgsqlCommand("select v.id, v.job_id, v.version, m.name from model_versions v join models m on m.id = v.model_id", store))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    versions.Add(new VersionRow(reader.GetGuid(0), NullableString(reader, 1), reader.GetInt32(2), reader.GetString(3)));
            await using (var command = new NpgsqlCommand("select model_version_id, kind, sha256 from artifacts", store))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    artifacts.Add(new ArtifactRow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
            await using (var command = new NpgsqlCommand("select sha256 from datasets", store))
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    datasetBlobs.Add(reader.GetString(0));
        }

        var blobFolder = Path.Combine(blobRoot, "sha256");
        var blobs = new List<BlobFile>();
        if (Directory.Exists(blobFolder))
        {
            foreach (var file in Directory.EnumerateFiles(blobFolder, "*", SearchOption.AllDirectories))
            {
                await using var stream = File.OpenRead(file);
                blobs.Add(new BlobFile(Path.GetFileName(file), Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)),
                    new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero)));
            }
        }
        var tempFolder = new DirectoryInfo(Path.Combine(blobRoot, "tmp"));
        var temps = tempFolder.Exists
            ? tempFolder.EnumerateFiles().Select(f => new TempFile(f.Name, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero))).ToList()
            : [];
        return new History(jobs, events, versions, artifacts, datasetBlobs, blobs, temps);
    }

    /// <summary>Every violation of the rules above in <paramref name="history"/>, and the counts of a history that holds.</summary>
    public static (IReadOnlyList<string> Problems, Report Report) Verify(History history, IReadOnlyCollection<string> submitted, Kills kills)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(submitted);
        ArgumentNullException.ThrowIfNull(kills);
        var problems = new List<string>();
        var expected = submitted.Select(Guid.Parse).ToHashSet();
        var jobs = history.Jobs.ToDictionary(j => j.Id);
        var lastSequence = history.Events.GroupBy(e => e.JobId).ToDictionary(g => g.Key, g => g.Max(e => e.Sequence));
        var terminalEvents = history.Events.Where(e => TerminalStates.Contains(e.State)).ToLookup(e => e.JobId);

        foreach (var id in expected)
        {
            if (!jobs.TryGetValue(id, out var job))
            {
                problems.Add($"job {id} was submitted but the scheduler has no row for it");
                continue;
            }
            if (!TerminalStates.Contains(job.State)) problems.Add($"job {id} is {job.State}, not in a terminal state");
            var ends = terminalEvents[id].ToList();
            if (ends.Count != 1)
                problems.Add($"job {id} has {ends.Count} terminal events ({string.Join(", ", ends.Select(e => e.State))}), not exactly one");
            else if (ends[0].State != job.State || ends[0].Sequence != lastSequence[id])
                problems.Add($"job {id}: its terminal event ({ends[0].State}, #{ends[0].Sequence}) is not its last event (#{lastSequence[id]}) or not its state {job.State}");
        }
        foreach (var job in history.Jobs.Where(j => !expected.Contains(j.Id)))
            problems.Add($"job {job.Id} ({job.State}) exists but was never submitted (a duplicate submission?)");

        var modelShaOf = history.Artifacts.Where(a => a.Kind == "model").ToDictionary(a => a.VersionId, a => a.Sha256);
        var versionsByJob = history.Versions.Where(v => v.JobId is not null).ToLookup(v => Guid.Parse(v.JobId!));
        foreach (var job in history.Jobs)
        {
            var registered = versionsByJob[job.Id].ToList();
            if (job.State == "Succeeded")
            {
                if (registered.Count != 1)
                    problems.Add($"job {job.Id} Succeeded with {registered.Count} registered model versions, not one");
                else if (registered[0].Model != job.Model || registered[0].Version != job.Version)
                    problems.Add($"job {job.Id} reports {job.Model} v{job.Version} but the store registered {registered[0].Model} v{registered[0].Version}");
                else if (modelShaOf.GetValueOrDefault(registered[0].Id) is var stored && !string.Equals(stored, job.ModelSha256, StringComparison.OrdinalIgnoreCase))
                    problems.Add($"job {job.Id} reports model SHA-256 {job.ModelSha256} but {job.Model} v{job.Version} holds {stored ?? "no model artifact"}");
            }
            else if (registered.Count != 0)
                problems.Add($"job {job.Id} is {job.State} yet has {registered.Count} registered model version(s)");
        }
        foreach (var orphan in versionsByJob.Where(g => !jobs.ContainsKey(g.Key)))
            problems.Add($"model version(s) {string.Join(", ", orphan.Select(v => $"{v.Model} v{v.Version}"))} name job {orphan.Key}, which the scheduler does not know");

        var files = history.Blobs.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        var artifactBlobs = history.Artifacts.Select(a => a.Sha256).ToHashSet(StringComparer.Ordinal);
        foreach (var missing in artifactBlobs.Where(sha => !files.Contains(sha)))
            problems.Add($"artifact blob {missing} has a row but no file");
        foreach (var version in history.Versions.Where(v => history.Artifacts.All(a => a.VersionId != v.Id)))
            problems.Add($"model version {version.Model} v{version.Version} has no artifacts");
        var orphansExcused = 0;
        foreach (var orphan in history.Blobs.Where(b => !artifactBlobs.Contains(b.Name) && !history.DatasetBlobs.Contains(b.Name)))
        {
            if (Kills.Explain(kills.Store, orphan.WrittenAt)) orphansExcused++;
            else problems.Add($"blob file {orphan.Name} (last written {orphan.WrittenAt:HH:mm:ss.fff}) belongs to no artifact and no data set, and the store was not killed after it was written");
        }
        foreach (var blob in history.Blobs.Where(b => !string.Equals(b.Name, b.ContentSha256, StringComparison.OrdinalIgnoreCase)))
            problems.Add($"blob file {blob.Name} holds bytes whose SHA-256 is {blob.ContentSha256}");

        var excused = 0;
        foreach (var temp in history.TempFiles)
        {
            if (Kills.Explain(kills.Any, temp.WrittenAt)) excused++;
            else problems.Add($"temp file {temp.Name} (last written {temp.WrittenAt:HH:mm:ss.fff}) is left in the store's temp folder and no process was killed after it was written: a staged upload nobody used, or an upload not cleaned up");
        }

        var report = new Report(expected.Count, history.Jobs.GroupBy(j => j.State).ToDictionary(g => g.Key, g => g.Count()),
            history.Versions.Count, history.Blobs.Count, history.Jobs.Select(j => j.Attempt).DefaultIfEmpty().Max(), excused, orphansExcused);
        return (problems, report);
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
