namespace Platform.Faults.Tests;

/// <summary>
/// Fault tests share the suite's dedicated servers (<see cref="FaultServers"/>) and never run in parallel with each
/// other: each may restart a server or change the broker.
/// </summary>
[CollectionDefinition(nameof(ServersCollection), DisableParallelization = true)]
public sealed class ServersCollection : ICollectionFixture<FaultServers>;
