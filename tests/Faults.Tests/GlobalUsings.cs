global using Platform.Testing;
