using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Platform.Models.V1;

namespace Platform.Gateway.Tests;

/// <summary>The gateway forwards the model-card calls to the model store over real gRPC, tenant and errors included.</summary>
public sealed class ModelCardForwardingTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Tenant, IMessage Request)> _received = new();
    private WebApplication _store = null!;
    private WebApplication _gateway = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _store = await GrpcTestHost.StartBackendAsync(services => services.AddSingleton(_received), app => app.MapGrpcService<CardStore>());
        // No scheduler is called here: the store's address stands in for it.
        _gateway = await GrpcTestHost.StartGatewayAsync(GrpcTestHost.AddressOf(_store), GrpcTestHost.AddressOf(_store));
        _channel = GrpcChannel.ForAddress(GrpcTestHost.AddressOf(_gateway));
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _gateway.DisposeAsync();
        await _store.DisposeAsync();
    }

    private ModelService.ModelServiceClient Models => new(_channel);

    private static Metadata Acme => new() { { "x-tenant-id", "acme" } };

    [Fact]
    public async Task GetModelCard_returns_the_stores_card_with_its_pictures()
    {
        var card = await Models.GetModelCardAsync(new GetModelCardRequest { Reference = "penguins@production" }, Acme);

        Assert.Equal(CardStore.Card, card);
        var (tenant, request) = Assert.Single(_received);
        Assert.Equal(("acme", "penguins@production"), (tenant, ((GetModelCardRequest)request).Reference));
    }

    [Fact]
    public async Task UpdateModelCard_reaches_the_store_with_only_the_fields_set_and_the_caller_as_the_writer()
    {
        var fields = await Models.UpdateModelCardAsync(new UpdateModelCardRequest { Reference = "penguins:1", Limitations = "Adults only.", Actor = "ana" }, Acme);

        // The actor the client wrote is replaced by the authenticated caller (open mode's "local").
        Assert.Equal(("Adults only.", "local"), (fields.Limitations, fields.UpdatedBy));
        var request = (UpdateModelCardRequest)Assert.Single(_received).Request;
        Assert.Equal((false, true), (request.HasIntendedUse, request.HasLimitations));
    }

    [Fact]
    public async Task The_stores_not_found_passes_through_unchanged()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Models.GetModelCardAsync(new GetModelCardRequest { Reference = "uploaded:1" }, Acme).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("model card 'uploaded:1' was not found", error.Status.Detail);
    }

    private sealed class CardStore(ConcurrentQueue<(string Tenant, IMessage Request)> received) : ModelService.ModelServiceBase
    {
        public static readonly ModelCard Card = new()
        {
            ModelName = "penguins", Version = 2, Markdown = "# Model card: penguins\n", BundleSha256 = new string('b', 64),
            Images = { new ModelCardImage { FileName = "images/roc-curve.png", Png = ByteString.CopyFrom(Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray()) } },
        };

        public override Task<ModelCard> GetModelCard(GetModelCardRequest request, ServerCallContext context)
        {
            received.Enqueue((context.RequestHeaders.GetValue("x-tenant-id") ?? "", request));
            return request.Reference == "uploaded:1"
                ? throw new RpcException(new Status(StatusCode.NotFound, "model card 'uploaded:1' was not found"))
                : Task.FromResult(Card);
        }

        public override Task<ModelCardFields> UpdateModelCard(UpdateModelCardRequest request, ServerCallContext context)
        {
            received.Enqueue((context.RequestHeaders.GetValue("x-tenant-id") ?? "", request));
            return Task.FromResult(new ModelCardFields { Limitations = request.Limitations, UpdatedBy = request.Actor });
        }
    }
}
