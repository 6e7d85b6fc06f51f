using Grpc.Core;
using Platform.Contracts;
using Platform.Jobs.V1;

namespace Platform.Scheduler.Tests;

/// <summary>GetJob, ListJobs and ListTrainers.</summary>
public sealed class QueryJobTests : IAsyncLifetime
{
    private SchedulerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SchedulerTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<List<Job>> SubmitSeveralAsync(int count, string tenantId = "default")
    {
        var jobs = new List<Job>();
        for (var i = 0; i < count; i++)
        {
            jobs.Add(await _host.SubmitPenguinsAsync(tenantId, requestId: $"{tenantId}-{i}"));
            _host.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        return jobs;
    }

    [Fact]
    public async Task Another_tenants_job_is_not_found()
    {
        var job = await _host.SubmitPenguinsAsync("acme");

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.GetAsync(job.Id, "default"));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains(job.Id, error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-job-id")]
    public async Task A_malformed_job_id_is_an_invalid_argument(string jobId)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.GetAsync(jobId));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("job_id", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_are_listed_newest_first_in_pages_that_cover_each_job_once()
    {
        var submitted = await SubmitSeveralAsync(7);
        await SubmitSeveralAsync(2, "acme");

        var seen = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await _host.ListAsync(new ListJobsRequest { PageSize = 3, PageToken = token });
            seen.AddRange(page.Jobs.Select(j => j.Id));
            token = page.NextPageToken;
            pages++;
            // A job submitted between pages belongs before the first page and must not shift the others.
            if (pages == 1) await _host.SubmitPenguinsAsync();
        }
        while (token != "");

        Assert.Equal(3, pages);
        Assert.Equal(submitted.Select(j => j.Id).Reverse(), seen);
    }

    [Fact]
    public async Task Jobs_with_the_same_creation_time_are_still_paged_exactly()
    {
        var submitted = new List<Job>();
        for (var i = 0; i < 5; i++) submitted.Add(await _host.SubmitPenguinsAsync()); // The clock does not move.

        var first = await _host.ListAsync(new ListJobsRequest { PageSize = 2 });
        var second = await _host.ListAsync(new ListJobsRequest { PageSize = 2, PageToken = first.NextPageToken });
        var third = await _host.ListAsync(new ListJobsRequest { PageSize = 2, PageToken = second.NextPageToken });

        var seen = first.Jobs.Concat(second.Jobs).Concat(third.Jobs).Select(j => j.Id).ToList();
        Assert.Equal(submitted.Select(j => j.Id).Order(), seen.Order());
        Assert.Equal("", third.NextPageToken);
    }

    [Fact]
    public async Task Jobs_can_be_found_by_request_id_and_by_state()
    {
        var jobs = await SubmitSeveralAsync(3);
        await _host.DeliverAsync(new TrainingJobStarted(Guid.Parse(jobs[1].Id), 1, "worker-1", DateTimeOffset.UnixEpoch));

        var byRequest = await _host.ListAsync(new ListJobsRequest { RequestId = "default-2" });
        var running = await _host.ListAsync(new ListJobsRequest { State = JobState.Running });
        var queued = await _host.ListAsync(new ListJobsRequest { State = JobState.Queued });
        var otherTenant = await _host.ListAsync(new ListJobsRequest { RequestId = "default-2" }, "acme");

        Assert.Equal(jobs[2].Id, Assert.Single(byRequest.Jobs).Id);
        Assert.Equal(jobs[1].Id, Assert.Single(running.Jobs).Id);
        Assert.Equal([jobs[2].Id, jobs[0].Id], queued.Jobs.Select(j => j.Id));
        Assert.Empty(otherTenant.Jobs);
    }

    [Fact]
    public async Task Page_size_defaults_to_50_and_is_capped_at_500()
    {
        await SubmitSeveralAsync(51);

        var byDefault = await _host.ListAsync(new ListJobsRequest());
        var huge = await _host.ListAsync(new ListJobsRequest { PageSize = 10_000 });

        Assert.Equal(50, byDefault.Jobs.Count);
        Assert.NotEqual("", byDefault.NextPageToken);
        Assert.Equal(51, huge.Jobs.Count);
        Assert.Equal("", huge.NextPageToken);
    }

    [Theory]
    [InlineData(-1, "", "page_size")]
    [InlineData(10, "garbage!", "page_token")]
    [InlineData(10, "AAAA", "page_token")]
    public async Task Bad_list_requests_name_the_field(int pageSize, string pageToken, string field)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _host.ListAsync(new ListJobsRequest { PageSize = pageSize, PageToken = pageToken }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(field, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trainers_come_from_the_catalogue_and_can_be_filtered_by_task()
    {
        var all = await _host.CallAsync((s, r, c) => s.ListTrainers(r, c), new ListTrainersRequest());
        var regression = await _host.CallAsync((s, r, c) => s.ListTrainers(r, c), new ListTrainersRequest { Task = TrainingTask.Regression });

        var lightgbm = Assert.Single(all.Trainers, t => t.Name == "lightgbm");
        Assert.Equal([TrainingTask.BinaryClassification, TrainingTask.MulticlassClassification, TrainingTask.Regression], lightgbm.Tasks);
        var rate = Assert.Single(lightgbm.Hyperparameters, h => h.Name == "learning_rate");
        Assert.Equal("double", rate.Type);
        Assert.Equal("0.1", rate.DefaultValue);
        Assert.Contains(all.Trainers, t => t.Name == "sdca_maximum_entropy");
        Assert.All(regression.Trainers, t => Assert.Contains(TrainingTask.Regression, t.Tasks));
        Assert.DoesNotContain(regression.Trainers, t => t.Name == "sdca_maximum_entropy");
    }
}
