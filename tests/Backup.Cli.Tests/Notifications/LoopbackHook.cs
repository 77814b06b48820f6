using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backup.Cli.Tests.Notifications;

/// <summary>
/// A real HTTP receiver on loopback (HttpListener) for webhook tests: keeps each request's body and headers, and answers
/// each with the status <see cref="Answer"/> gives it for its number (from 1), or never when that is null.
/// </summary>
internal sealed class LoopbackHook : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;
    private readonly CancellationTokenSource _stop = new();

    public LoopbackHook(Func<int, HttpStatusCode?> answer)
    {
        Answer = answer;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public Func<int, HttpStatusCode?> Answer { get; }

    public int Port { get; }

    public string Url(string userInfo = "") => $"http://{userInfo}127.0.0.1:{Port}/hooks/backup?channel=ops";

    /// <summary>Requests received so far: method, path and query, content type, authorization, body.</summary>
    public ConcurrentQueue<(string Method, string Target, string? ContentType, string? Authorization, string Body)> Requests { get; } = new();

    private async Task ServeAsync()
    {
        var number = 0;
        while (!_stop.IsCancellationRequested)
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
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            Requests.Enqueue((context.Request.HttpMethod, context.Request.RawUrl ?? "", context.Request.ContentType, context.Request.Headers["Authorization"], body));
            if (Answer(++number) is { } status)
            {
                context.Response.StatusCode = (int)status;
                context.Response.Close();
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Abort();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
