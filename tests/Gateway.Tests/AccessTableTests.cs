using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Routing;
using Platform.Admin.V1;
using Platform.Authentication;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.Serving.V1;
using Platform.Sweeps.V1;
using Platform.Transfers;

namespace Platform.Gateway.Tests;

/// <summary>
/// The access table against the protos: every public method has a scope, nothing else is in it, and what the gateway
/// maps is exactly the table. A method added to a public service without a rule fails here (and is refused at run time).
/// </summary>
public sealed class AccessTableTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    /// <summary>The public services the gateway serves.</summary>
    private static readonly Google.Protobuf.Reflection.ServiceDescriptor[] GatewayPublic =
        [DatasetService.Descriptor, JobService.Descriptor, SweepService.Descriptor, ModelService.Descriptor, AdminService.Descriptor];

    /// <summary>Every public service: the gateway's and the serving service's.</summary>
    private static readonly Google.Protobuf.Reflection.ServiceDescriptor[] Public = [.. GatewayPublic, PredictionService.Descriptor];

    private static readonly Google.Protobuf.Reflection.ServiceDescriptor[] Internal =
        [ModelRegistry.Descriptor, RegistryMaintenance.Descriptor, ApiKeyDirectory.Descriptor];

    private static IEnumerable<string> Methods(IEnumerable<Google.Protobuf.Reflection.ServiceDescriptor> services) =>
        services.SelectMany(service => service.Methods.Select(method => AccessTable.Grpc(service.FullName, method.Name)));

    private static readonly string[] ByteStreamRoutes =
        [AccessTable.Http("GET", ByteStream.Routes.Artifact), AccessTable.Http("GET", ByteStream.Routes.Dataset), AccessTable.Http("POST", ByteStream.Routes.Upload),
         AccessTable.Http("DELETE", ByteStream.Routes.StagedUpload)];

    [Fact]
    public void Every_public_method_and_byte_stream_route_has_a_known_scope_and_nothing_else_is_in_the_table()
    {
        var expected = Methods(Public).Concat(ByteStreamRoutes).Order().ToList();

        Assert.Equal(expected, AccessTable.Rules.Keys.Order());
        Assert.All(AccessTable.Rules.Values, rule => Assert.True(Scopes.IsKnown(rule.Scope), rule.Scope));
    }

    [Fact]
    public void No_internal_method_is_in_the_table()
    {
        Assert.All(Methods(Internal), method => Assert.False(AccessTable.Rules.ContainsKey(method), method));
    }

    [Fact]
    public void Every_method_that_changes_state_needs_more_than_a_read_scope()
    {
        Assert.All(AccessTable.Rules.Where(rule => rule.Value.ChangesState),
            rule => Assert.DoesNotContain(":read", rule.Value.Scope, StringComparison.Ordinal));
    }

    [Fact]
    public void The_gateway_maps_every_public_method_behind_the_access_policy_and_no_internal_one()
    {
        var endpoints = fixture.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Where(e => e.Metadata.GetMetadata<GrpcMethodMetadata>() is { } grpc && grpc.Method.Name != "" && !grpc.Method.FullName.Contains("grpc.health", StringComparison.Ordinal)
                        && !grpc.Method.FullName.Contains("{unimplemented", StringComparison.Ordinal))
            .ToList();
        var directory = Methods([ApiKeyDirectory.Descriptor]).ToHashSet();
        var (internalEndpoints, publicEndpoints) = (endpoints.Where(IsDirectory).ToList(), endpoints.Where(e => !IsDirectory(e)).ToList());
        var mapped = publicEndpoints.Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>()!.Method.FullName).Distinct().Order();

        Assert.Equal(Methods(GatewayPublic).Order(), mapped);
        Assert.All(publicEndpoints, e => Assert.Contains(e.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>(),
            data => data.Policy == AccessRequirement.Policy));
        // The one internal service the gateway serves (for the serving service's key checks): the service credential only.
        Assert.Equal(directory.Order(), internalEndpoints.Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>()!.Method.FullName).Distinct().Order());
        Assert.All(internalEndpoints, e => Assert.Contains(e.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>(),
            data => data.Policy == Platform.ServiceDefaults.Security.ServiceCredential.Policy));

        bool IsDirectory(Microsoft.AspNetCore.Http.Endpoint e) => directory.Contains(e.Metadata.GetMetadata<GrpcMethodMetadata>()!.Method.FullName);
    }
}
