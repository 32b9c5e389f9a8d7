namespace Vigil.Server.Grpc;

/// <summary>A registered method: knows its kind of call and how to run its handler on one.</summary>
internal abstract class GrpcMethod
{
    protected GrpcMethod(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public abstract Task InvokeAsync(GrpcServerCall call);
}
