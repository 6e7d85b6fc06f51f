namespace Platform.Cli;

/// <summary>Process exit codes, documented in <c>platformctl --help</c>.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked; a watched job succeeded.</summary>
    public const int Success = 0;

    /// <summary>The command failed: bad arguments, a gRPC error, a checksum mismatch.</summary>
    public const int Error = 1;

    /// <summary>A watched job ended, but not in Succeeded (failed, cancelled, timed out).</summary>
    public const int JobUnsuccessful = 2;
}
