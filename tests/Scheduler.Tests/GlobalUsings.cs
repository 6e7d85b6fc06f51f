global using Platform.Testing;
global using Platform.Testing.Grpc;
