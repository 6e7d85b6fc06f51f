namespace Platform.ServiceDefaults.Hosting;

/// <summary>
/// A command a service's host runs instead of serving, like <c>migrate</c>: <c>dotnet Platform.Gateway.dll keys create …</c>.
/// For operator tasks that must work before anyone can call the API (the first admin key).
/// </summary>
public interface IHostCommand
{
    /// <summary>The first command-line argument that selects it.</summary>
    string Name { get; }

    /// <summary>Runs with the remaining arguments; returns the process's exit code.</summary>
    Task<int> RunAsync(IServiceProvider services, string[] args, CancellationToken cancellationToken);
}
