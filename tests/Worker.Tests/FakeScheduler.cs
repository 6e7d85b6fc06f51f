using System.Collections.Concurrent;
using MassTransit;
using Platform.Contracts;

namespace Platform.Worker.Tests;

/// <summary>
/// The scheduler's side of the lease protocol: records heartbeats, answers them with the stop orders a test
/// sets, and grants commits unless a test refuses them.
/// </summary>
internal static class FakeScheduler
{
    public sealed class State
    {
        public ConcurrentQueue<WorkerHeartbeat> Heartbeats { get; } = new();

        /// <summary>Answered in every heartbeat that reports the attempt.</summary>
        public ConcurrentDictionary<(Guid JobId, int Attempt), string> StopOrders { get; } = new();

        /// <summary>Commit requests refused, with the reason.</summary>
        public ConcurrentDictionary<(Guid JobId, int Attempt), string> RefusedCommits { get; } = new();

        public ConcurrentQueue<CommitAttempt> CommitRequests { get; } = new();
    }

    public sealed class HeartbeatConsumer(State state) : IConsumer<WorkerHeartbeat>
    {
        public async Task Consume(ConsumeContext<WorkerHeartbeat> context)
        {
            state.Heartbeats.Enqueue(context.Message);
            var stop = context.Message.Attempts
                .Where(a => state.StopOrders.ContainsKey((a.JobId, a.Attempt)))
                .Select(a => new AttemptToStop(a.JobId, a.Attempt, state.StopOrders[(a.JobId, a.Attempt)]))
                .ToList();
            await context.RespondAsync(new WorkerHeartbeatAcknowledged { Stop = stop });
        }
    }

    public sealed class CommitConsumer(State state) : IConsumer<CommitAttempt>
    {
        public async Task Consume(ConsumeContext<CommitAttempt> context)
        {
            var request = context.Message;
            state.CommitRequests.Enqueue(request);
            var refused = state.RefusedCommits.TryGetValue((request.JobId, request.Attempt), out var reason);
            await context.RespondAsync(new CommitDecision(request.JobId, request.Attempt, !refused, reason ?? ""));
        }
    }
}
