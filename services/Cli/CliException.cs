namespace Platform.Cli;

/// <summary>A failure the CLI explains in one line (<c>error: …</c>) rather than with a stack trace.</summary>
public sealed class CliException(string message) : Exception(message);
