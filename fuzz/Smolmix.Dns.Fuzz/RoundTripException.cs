namespace Smolmix.Dns.Fuzz;

/// <summary>The codec parsed a message but did not give it back unchanged: the fuzzer counts it as a crash.</summary>
internal sealed class RoundTripException(string message) : Exception(message);
