using System.CommandLine;
using Grpc.Core;
using Platform.Transfers;

namespace Platform.Cli;

/// <summary>Runs a command against the gateway.</summary>
public delegate Task<int> GatewayAction(ParseResult parse, GatewayConnection gateway, CancellationToken cancellationToken);

/// <summary>
/// The one place where commands get their gateway connection and where failures become one line on
/// standard error (<c>error: &lt;status&gt;: &lt;message&gt;</c>) and an exit code, never a stack trace.
/// </summary>
public sealed class CommandRunner(Terminal terminal, GlobalOptions options)
{
    /// <summary>Exit code after Ctrl+C, as shells report a process ended by SIGINT.</summary>
    private const int Interrupted = 130;

    public Terminal Terminal { get; } = terminal;

    /// <summary>Makes <paramref name="action"/> the command's action.</summary>
    public void SetAction(Command command, GatewayAction action)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var gateway = new GatewayConnection(
                    parse.GetRequiredValue(options.Gateway), parse.GetValue(options.Tenant), parse.GetValue(options.Transfers),
                    parse.GetValue(options.ApiKey), parse.GetValue(options.Serving));
                return await action(parse, gateway, cancellationToken);
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested &&
                                       ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                return Interrupted;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
            {
                return Fail($"{ex.StatusCode}: {ex.Status.Detail} (is the platform running at {parse.GetValue(options.Gateway)}?)");
            }
            catch (RpcException ex)
            {
                return Fail($"{ex.StatusCode}: {ex.Status.Detail}");
            }
            catch (ByteStreamException ex)
            {
                // The byte stream's problem titles are the gRPC status names, so errors read the same either way.
                return Fail($"{ex.Title}: {ex.Detail}");
            }
            catch (HttpRequestException ex)
            {
                return Fail($"Unavailable: {ex.Message} (is the byte stream running at {parse.GetValue(options.Transfers)}?)");
            }
            catch (InvalidDataException ex)
            {
                return Fail($"DataLoss: {ex.Message}; nothing was saved");
            }
            catch (Exception ex) when (ex is CliException or IOException or UnauthorizedAccessException)
            {
                return Fail(ex.Message);
            }
        });
    }

    private int Fail(string message)
    {
        Terminal.Error.WriteLine($"error: {message}");
        return ExitCodes.Error;
    }
}
