namespace Platform.Faults.Tests;

/// <summary>Fault tests share the servers and never run in parallel with each other: each may change the broker.</summary>
[CollectionDefinition(nameof(ServersCollection), DisableParallelization = true)]
public sealed class ServersCollection : ICollectionFixture<PlatformServers>;
