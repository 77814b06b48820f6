using System.Net;
using System.Text;

namespace Backup.Storage.S3.Tests;

/// <summary>
/// An HTTP server on loopback that answers every request with one S3 error (status and code), and counts the requests:
/// to see how the store maps errors that the test server cannot be made to send. The first
/// <c>broken</c> requests get instead a 400 with no body, as Ceph's RGW sends after it refused a PUT without reading its
/// body (see S3BlobStore.RunAsync).
/// </summary>
internal sealed class CannedS3Server : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private int _requests;

    public CannedS3Server(int status, string code, int broken = 0)
    {
        for (var attempt = 0; ; attempt++)
        {
            Port = Random.Shared.Next(20_000, 60_000);
            // A listener whose Start failed is disposed: a new one for each port tried.
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                listener.Start();
                _listener = listener;
                break;
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                // The port was taken: try another.
                listener.Close();
            }
        }
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                if (Interlocked.Increment(ref _requests) <= broken)
                {
                    context.Response.StatusCode = 400;
                    context.Response.ContentLength64 = 0;
                    context.Response.Close();
                    continue;
                }
                var body = Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>canned</Message><RequestId>1</RequestId></Error>");
                context.Response.StatusCode = status;
                context.Response.ContentType = "application/xml";
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });
    }

    public int Port { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    /// <summary>How many requests reached the server.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(10));
    }
}
