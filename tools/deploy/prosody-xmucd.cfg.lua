-- prosody-xmucd.cfg.lua -- xmucd as a component of Prosody.
--
-- Add to /etc/prosody/prosody.cfg.lua (or drop it in
-- /etc/prosody/conf.d/xmucd.cfg.lua on Debian), replace the domain and
-- the secret, then `prosodyctl check config` and `systemctl reload
-- prosody`.  docs/deploy.md has the whole procedure.

-- The component port xmucd connects to (Prosody's default: 5347).
-- Loopback only: the secret crosses it in a digest, the stanzas in clear.
component_ports = { 5347 }
component_interfaces = { "127.0.0.1" }

-- The domain must match xmucd's `domain` and resolve for remote users
-- (a DNS A/AAAA record, or a CNAME to this host, for federation).
Component "rooms.example.org"
    -- the same string as /etc/xmucd/secret (its first line)
    component_secret = "REPLACE-WITH-THE-SECRET"
    -- Prosody does not rate-limit component stanzas; xmucd does
    -- (rate_per_s, out_kb_per_s in xmucd.conf).
