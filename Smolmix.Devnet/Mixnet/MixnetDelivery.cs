namespace Smolmix.Devnet.Mixnet;

/// <summary>A whole message arriving at an endpoint.</summary>
/// <param name="Message">The payload.</param>
/// <param name="SenderTag">The sender's tag when it was sent anonymously (repliable); null for plain messages and replies.</param>
/// <param name="SentAt">Scheduler time the sender handed it over.</param>
/// <param name="ArrivedAt">Scheduler time its last packet arrived.</param>
internal readonly record struct MixnetDelivery(ReadOnlyMemory<byte> Message, Nym.SenderTag? SenderTag, TimeSpan SentAt, TimeSpan ArrivedAt);
