using Platform.Contracts;

namespace Platform.ServiceDefaults.Errors;

/// <summary>
/// Domain failures that cross the API boundary. <see cref="Grpc.ErrorMappingInterceptor"/> turns each
/// into the matching gRPC status, so services throw these and never build RpcExceptions themselves. The message is
/// cut to <see cref="Echo.MaxMessageLength"/> characters (<see cref="Echo"/>): it goes back to the caller and into
/// logs, and may hold what the caller sent.
/// </summary>
public abstract class PlatformException(string message, Exception? inner = null) : Exception(Echo.Message(message), inner);

/// <summary>The request is wrong; <paramref name="field"/> names the offending field (or column).</summary>
public sealed class InvalidArgumentException(string field, string message)
    : PlatformException($"{field}: {message}")
{
    public string Field { get; } = field;
}

/// <summary>A named thing does not exist for the caller's tenant.</summary>
public sealed class NotFoundException(string kind, string id)
    : PlatformException($"{kind} {Echo.Quote(id)} was not found")
{
    public string Kind { get; } = kind;
    public string Id { get; } = id;
}

/// <summary>The request is valid but the system is not in a state to accept it.</summary>
public sealed class FailedPreconditionException(string message) : PlatformException(message);

/// <summary>Bytes received do not match their declared checksum or were cut short.</summary>
public sealed class DataLossException(string message) : PlatformException(message);

/// <summary>The thing being created exists already.</summary>
public sealed class AlreadyExistsException(string message) : PlatformException(message);

/// <summary>
/// A configured limit or quota would be exceeded; <paramref name="limit"/> names it (its configuration key, such as
/// <c>ModelStore:Uploads:MaxStagedBytesPerTenant</c>) and the message says its value.
/// </summary>
public sealed class ResourceExhaustedException(string limit, string message)
    : PlatformException($"{limit}: {message}")
{
    public string Limit { get; } = limit;
}

/// <summary>The caller is known but may not do this (a missing scope, another tenant without <c>admin</c>).</summary>
public sealed class PermissionDeniedException(string message) : PlatformException(message);

/// <summary>
/// Something the call needs is out of reach for now (another service does not answer); the caller may retry. Also used
/// before a call reaches its service: a key that cannot be checked because the gateway does not answer.
/// </summary>
public sealed class UnavailableException(string message, Exception? inner = null) : PlatformException(message, inner);
