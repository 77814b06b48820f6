using System.Net;
using System.Net.Sockets;

namespace Backup.Storage.Sftp.Tests;

/// <summary>A loopback TCP proxy to a server whose connections a test can cut, as a dropped network would.</summary>
internal sealed class CuttableProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly List<TcpClient> _open = [];
    private readonly Lock _lock = new();
    private long _cutAfter = long.MaxValue;

    public CuttableProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Closes every connection made so far; new ones are still forwarded.</summary>
    public void Cut()
    {
        lock (_lock)
        {
            foreach (var client in _open)
            {
                if (client.Client is { } socket)
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                client.Dispose();
            }
            _open.Clear();
        }
    }

    /// <summary>Cuts every connection once <paramref name="bytes"/> more bytes have come from the server.</summary>
    public void CutAfter(long bytes) => Interlocked.Exchange(ref _cutAfter, bytes);

    public void Dispose()
    {
        _listener.Stop();
        Cut();
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            var outbound = new TcpClient();
            await outbound.ConnectAsync(IPAddress.Loopback, _targetPort);
            lock (_lock)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }
            _ = PumpAsync(inbound, outbound, fromServer: false);
            _ = PumpAsync(outbound, inbound, fromServer: true);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool fromServer)
    {
        try
        {
            var buffer = new byte[16384];
            int n;
            while ((n = await from.GetStream().ReadAsync(buffer)) > 0)
            {
                if (fromServer && Interlocked.Add(ref _cutAfter, -n) < 0)
                {
                    Interlocked.Exchange(ref _cutAfter, long.MaxValue);
                    Cut();
                    return;
                }
                await to.GetStream().WriteAsync(buffer.AsMemory(0, n));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // Cut: the other direction sees it too.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
