using static Platform.Faults.Tests.HistoryCheck;

namespace Platform.Faults.Tests;

/// <summary>
/// The history check itself, on fabricated histories (no servers): a history that holds passes, and each kind of
/// violation is found, named, and not excused by a kill that cannot explain it.
/// </summary>
public sealed class HistoryCheckTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Succeeded = Guid.Parse("00000000-0000-0000-0000-000000000001");
    private static readonly Guid Failed = Guid.Parse("00000000-0000-0000-0000-000000000002");
    private static readonly Guid Version = Guid.Parse("00000000-0000-0000-0000-0000000000a1");
    private static readonly string ModelSha = new('a', 64);
    private static readonly string CardSha = new('b', 64);
    private static readonly string DatasetSha = new('d', 64);
    private static readonly string[] Submitted = [Succeeded.ToString(), Failed.ToString()];

    /// <summary>Two jobs, one Succeeded with its version, one Failed; blobs as registered; an empty temp folder.</summary>
    private static History Good() => new(
        [new JobRow(Succeeded, "Succeeded", 2, "m", 1, ModelSha), new JobRow(Failed, "Failed", 1, null, null, null)],
        [new EventRow(Succeeded, 1, "Queued"), new EventRow(Succeeded, 2, "Running"), new EventRow(Succeeded, 3, "Succeeded"),
         new EventRow(Failed, 1, "Queued"), new EventRow(Failed, 2, "Failed")],
        [new VersionRow(Version, Succeeded.ToString(), 1, "m")],
        [new ArtifactRow(Version, "model", ModelSha), new ArtifactRow(Version, "model_card", CardSha)],
        new HashSet<string> { DatasetSha },
        [new BlobFile(ModelSha, ModelSha), new BlobFile(CardSha, CardSha), new BlobFile(DatasetSha, DatasetSha)],
        []);

    private static IReadOnlyList<string> Problems(History history, params DateTimeOffset[] kills) => Verify(history, Submitted, new Kills(kills, [])).Problems;

    [Fact]
    public void A_history_that_holds_passes()
    {
        var (problems, report) = Verify(Good(), Submitted, Kills.None);

        Assert.Empty(problems);
        Assert.Equal((2, 1, 3, 2), (report.Jobs, report.Versions, report.Blobs, report.MaxAttempt));
    }

    [Fact]
    public void A_version_holding_other_bytes_than_the_job_reports_is_found()
    {
        var other = new string('e', 64);
        var history = Good() with
        {
            Artifacts = [new ArtifactRow(Version, "model", other), new ArtifactRow(Version, "model_card", CardSha)],
            Blobs = [new BlobFile(other, other), new BlobFile(CardSha, CardSha), new BlobFile(DatasetSha, DatasetSha)],
        };

        var problem = Assert.Single(Problems(history));
        Assert.Contains($"reports model SHA-256 {ModelSha}", problem, StringComparison.Ordinal);
        Assert.Contains($"holds {other}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_blob_whose_bytes_do_not_hash_to_its_name_is_found()
    {
        var history = Good() with { Blobs = [new BlobFile(ModelSha, new string('f', 64)), new BlobFile(CardSha, CardSha), new BlobFile(DatasetSha, DatasetSha)] };

        var problem = Assert.Single(Problems(history));
        Assert.Contains($"blob file {ModelSha} holds bytes whose SHA-256 is {new string('f', 64)}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_staged_upload_left_behind_is_found_unless_a_kill_soon_after_it_was_written_explains_it()
    {
        var history = Good() with { TempFiles = [new TempFile($"default.{Guid.NewGuid():N}.{ModelSha}.staged", T0)] };

        Assert.Contains("is left in the store's temp folder", Assert.Single(Problems(history)), StringComparison.Ordinal);
        Assert.Empty(Problems(history, T0.AddSeconds(3)));
        Assert.Equal(1, Verify(history, Submitted, new Kills([T0.AddSeconds(3)], [])).Report.TempFilesExcused);
        // A kill before the file was written, or long after, does not explain it.
        Assert.Single(Problems(history, T0.AddSeconds(-30)));
        Assert.Single(Problems(history, T0 + KillExcuse + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void An_orphan_blob_is_found_unless_the_store_was_killed_soon_after_it_was_written()
    {
        var orphan = new string('9', 64);
        var history = Good() with { Blobs = [.. Good().Blobs, new BlobFile(orphan, orphan, T0)] };
        IReadOnlyList<string> OrphanProblems(DateTimeOffset[] any, DateTimeOffset[] store) => Verify(history, Submitted, new Kills(any, store)).Problems;

        Assert.Contains($"blob file {orphan} (last written 12:00:00.000) belongs to no artifact", Assert.Single(OrphanProblems([], [])), StringComparison.Ordinal);
        // The store killed between moving a registration's blobs into place and committing its rows.
        Assert.Empty(OrphanProblems([T0.AddSeconds(2)], [T0.AddSeconds(2)]));
        Assert.Equal(1, Verify(history, Submitted, new Kills([T0.AddSeconds(2)], [T0.AddSeconds(2)])).Report.OrphansExcused);
        // Blobs are moved into place by the store alone: a worker's kill does not explain one, nor a store kill before or long after.
        Assert.Single(OrphanProblems([T0.AddSeconds(2)], []));
        Assert.Single(OrphanProblems([T0.AddSeconds(-30)], [T0.AddSeconds(-30)]));
        Assert.Single(OrphanProblems([], [T0 + KillExcuse + TimeSpan.FromSeconds(1)]));
    }

    [Fact]
    public void The_earlier_rules_still_hold()
    {
        var orphan = new string('9', 64);
        var history = Good() with
        {
            Events = [.. Good().Events, new EventRow(Failed, 3, "Cancelled")],
            Versions = [.. Good().Versions, new VersionRow(Guid.NewGuid(), Failed.ToString(), 1, "n")],
            Blobs = [.. Good().Blobs.Where(b => b.Name != CardSha), new BlobFile(orphan, orphan)],
        };

        var problems = Problems(history);

        Assert.Contains(problems, p => p.Contains($"job {Failed} has 2 terminal events", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains($"job {Failed} is Failed yet has 1 registered model version", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("model version n v1 has no artifacts", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains($"artifact blob {CardSha} has a row but no file", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains($"blob file {orphan} (last written", StringComparison.Ordinal) && p.Contains("belongs to no artifact and no data set", StringComparison.Ordinal));
    }

    [Fact]
    public void A_job_missing_or_never_submitted_is_found()
    {
        var stray = Guid.NewGuid();
        var history = Good() with { Jobs = [Good().Jobs[0], new JobRow(stray, "Succeeded", 1, null, null, null)] };

        var problems = Problems(history);

        Assert.Contains(problems, p => p.Contains($"job {Failed} was submitted but the scheduler has no row", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains($"job {stray} (Succeeded) exists but was never submitted", StringComparison.Ordinal));
    }
}
