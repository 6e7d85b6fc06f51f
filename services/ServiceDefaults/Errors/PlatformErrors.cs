namespace Platform.ServiceDefaults.Errors;

/// <summary>
/// Domain failures that cross the API boundary. <see cref="Grpc.ErrorMappingInterceptor"/> turns each
/// into the matching gRPC status, so services throw these and never build RpcExceptions themselves.
/// </summary>
public abstract class PlatformException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The request is wrong; <paramref name="field"/> names the offending field (or column).</summary>
public sealed class InvalidArgumentException(string field, string message)
    : PlatformException($"{field}: {message}")
{
    public string Field { get; } = field;
}

/// <summary>A named thing does not exist for the caller's tenant.</summary>
public sealed class NotFoundException(string kind, string id)
    : PlatformException($"{kind} '{id}' was not found")
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

/// <summary>The caller is known but may not do this (a missing scope, another tenant without <c>admin</c>).</summary>
public sealed class PermissionDeniedException(string message) : PlatformException(message);

/// <summary>A limit was reached (a rate, a count of concurrent streams); the message names the limit.</summary>
public sealed class ResourceExhaustedException(string message) : PlatformException(message);
