using System.Runtime.InteropServices;

namespace Platform.Training.Catalogue;

/// <summary>
/// How LightGBM's native threads run (docs/training.md, "LightGBM's threads"). LightGBM parallelises with OpenMP
/// (libgomp on Linux), whose threads by default spin at each barrier waiting for the others. When anything else takes a
/// core during a fit (the worker's heartbeat and reports, the garbage collector, a standalone host's scheduler and store,
/// another process), a spinning thread fights it for the core and every barrier waits for a descheduled thread: the same
/// fit then takes twice as long, or on a loaded machine ten times. Sleeping at a barrier instead costs microseconds.
/// </summary>
internal static class LightGbmThreads
{
    /// <summary>OpenMP's setting of how its threads wait (<c>ACTIVE</c>: spin, <c>PASSIVE</c>: sleep).</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    private static readonly Lazy<bool> Configured = new(ConfigureWaitPolicy);

    /// <summary>
    /// Makes OpenMP's threads wait passively, unless the environment already says how (<see cref="WaitPolicyVariable"/>).
    /// Call before LightGBM's native library is loaded (its first fit): OpenMP reads its settings once, as it loads.
    /// </summary>
    public static void WaitPassively() => _ = Configured.Value;

    private static bool ConfigureWaitPolicy()
    {
        if (Environment.GetEnvironmentVariable(WaitPolicyVariable) is { Length: > 0 }) return false;
        // On Unix, Environment.SetEnvironmentVariable changes .NET's own copy only; OpenMP reads the C library's.
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) return SetEnv(WaitPolicyVariable, "PASSIVE", overwrite: 0) == 0;
        Environment.SetEnvironmentVariable(WaitPolicyVariable, "PASSIVE");
        return true;
    }

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
