-- mod_orbweb_traffic.lua -- whole-server stanza counters for `orbweb traffic
-- --whole-server` (Prosody 0.12).
--
-- Counts every stanza the server receives from a session ("in") and every
-- stanza it sends to one ("out"), whatever the session: clients (c2s,
-- also BOSH and WebSocket), servers (s2s) and external components.  Kinds
-- follow xmucd's rule: "presence", "message", and for IQs
-- "iq:<payload namespace>:<type>" ("iq:-:<type>" without payload).  The
-- table is read over XMPP with the same query and answer as xmucd's own
-- counters (docs/protocol.md, "Statistics"): an IQ get carrying
-- <stats xmlns='https://orbweb.dev/ns/xmuc/0'/> sent to a virtual host by
-- one of its admins or a JID listed in orbweb_traffic_readers.  That query
-- and its answer are not counted, so readers do not see themselves.  Bytes
-- are not counted (the answer says 0).
--
-- `make install` puts it in $(prefix)/lib/prosody/modules, which Debian's
-- prosody.cfg.lua lists in plugin_paths (for /usr/local): enable it by
-- adding "orbweb_traffic" to the global modules_enabled.
module:set_global();

local filters = require "util.filters";
local st = require "util.stanza";
local usermanager = require "core.usermanager";
local jid_bare = require "util.jid".bare;
local gettime = require "util.time".now;

local NS = "https://orbweb.dev/ns/xmuc/0";
local MAX_KINDS = 256; -- beyond: "other", like xmucd (bounded memory)
local KIND_MAX = 200;

local counters = {}; -- kind -> { [1] = in, [2] = out }
local nkinds = 0;
local started = gettime();
local readers = module:get_option_set("orbweb_traffic_readers", {});

local iq_types = { get = true, set = true, result = true, error = true };

local function own_query(stanza)
	local child = stanza.tags[1];
	return child and child.name == "stats" and child.attr.xmlns == NS
		and (stanza.attr.type == "get" or stanza.attr.type == "result");
end

local function kind_of(stanza)
	local name = stanza.name;
	if name == "message" or name == "presence" then return name; end
	if name ~= "iq" then return nil; end
	local child = stanza.tags[1];
	local ns = child and child.attr.xmlns or "";
	local t = stanza.attr.type;
	local kind = "iq:"..(ns ~= "" and ns or "-")..":"..(iq_types[t] and t or "-");
	if #kind > KIND_MAX then return "other"; end
	return kind;
end

local function count(stanza, dir)
	if type(stanza) ~= "table" or not stanza.name then return; end
	local x = stanza.attr.xmlns;
	if x and x ~= "jabber:client" and x ~= "jabber:server"
		and x ~= "jabber:component:accept" then
		return; -- stream-level elements (SASL, smacks, ...)
	end
	local kind = kind_of(stanza);
	if not kind or own_query(stanza) then return; end
	local c = counters[kind];
	if not c then
		if nkinds >= MAX_KINDS - 1 then
			kind = "other";
			c = counters.other;
		end
		if not c then
			c = { 0, 0 };
			counters[kind] = c;
			nkinds = nkinds + 1;
		end
	end
	c[dir] = c[dir] + 1;
end

-- Clients and servers: the sessions' stanza filters.
local function count_in(stanza) count(stanza, 1); return stanza; end
local function count_out(stanza) count(stanza, 2); return stanza; end

local function add_filters(session)
	filters.add_filter(session, "stanzas/in", count_in, 10000);
	filters.add_filter(session, "stanzas/out", count_out, -10000);
end

-- External components have no filters: count at the routing events.
-- From a component: any event whose origin is one ("in"); to a component:
-- the events of its host while it is connected ("out").
local route_events = {};
for _, name in ipairs { "message", "presence", "iq" } do
	for _, to in ipairs { "/full", "/bare", "/host" } do
		route_events[#route_events + 1] = name..to;
	end
end

local function component_connected(host)
	local h = prosody.hosts[host];
	local env = h and h.type == "component" and h.modules and h.modules.component;
	return env and env.connected;
end

local function on_route(event)
	local origin = event.origin;
	if origin and origin.type == "component" then
		count(event.stanza, 1);
	end
end

local function on_component_route(host)
	return function (event)
		if component_connected(host) then count(event.stanza, 2); end
	end
end

-- The query: answered on virtual hosts only.
local function may_read(from, host)
	local bare = jid_bare(from);
	return readers:contains(bare) or usermanager.is_admin(bare, host);
end

local function answer(event)
	local origin, stanza = event.origin, event.stanza;
	local host = stanza.attr.to or origin.host;
	if not may_read(stanza.attr.from, host) then
		origin.send(st.error_reply(stanza, "auth", "forbidden"));
		return true;
	end
	local reply = st.reply(stanza):tag("stats", { xmlns = NS,
		age = ("%.3f"):format(gettime() - started) });
	local kinds, tin, tout = {}, 0, 0;
	for kind in pairs(counters) do kinds[#kinds + 1] = kind; end
	table.sort(kinds);
	for _, kind in ipairs(kinds) do
		local c = counters[kind];
		tin, tout = tin + c[1], tout + c[2];
		reply:tag("counter", { kind = kind, ["in-stanzas"] = ("%d"):format(c[1]),
			["in-bytes"] = "0", ["out-stanzas"] = ("%d"):format(c[2]),
			["out-bytes"] = "0" }):up();
	end
	reply:tag("total", { ["in-stanzas"] = ("%d"):format(tin), ["in-bytes"] = "0",
		["out-stanzas"] = ("%d"):format(tout), ["out-bytes"] = "0" }):up();
	origin.send(reply);
	return true;
end

local hooked = {}; -- host -> { event -> handler }

local function add(host, event, handler, priority)
	prosody.hosts[host].events.add_handler(event, handler, priority);
	hooked[host][event] = handler;
end

local function hook_host(host)
	local h = prosody.hosts[host];
	if not h or hooked[host] then return; end
	hooked[host] = {};
	local comp = h.type == "component";
	local to_comp = comp and on_component_route(host);
	for _, e in ipairs(route_events) do
		if comp then
			add(host, e, function (event)
				on_route(event);
				to_comp(event);
			end, 10000);
		else
			add(host, e, on_route, 10000);
		end
	end
	add(host, "route/remote", on_route, 10000);
	if h.type == "local" then
		add(host, "iq-get/host/"..NS..":stats", answer, 10);
	end
end

local function unhook_host(host)
	local h = prosody.hosts[host];
	for event, handler in pairs(hooked[host] or {}) do
		if h then h.events.remove_handler(event, handler); end
	end
	hooked[host] = nil;
end

local function remove_filters(session)
	filters.remove_filter(session, "stanzas/in", count_in);
	filters.remove_filter(session, "stanzas/out", count_out);
end

-- Sessions already open when the module is loaded (or unloaded).
local function each_session(fn)
	for _, session in pairs(prosody.full_sessions) do fn(session); end
	for session in pairs(prosody.incoming_s2s) do fn(session); end
	for _, h in pairs(prosody.hosts) do
		for _, session in pairs(h.s2sout or {}) do fn(session); end
	end
end

filters.add_filter_hook(add_filters);
each_session(add_filters);
for host in pairs(prosody.hosts) do hook_host(host); end
module:hook_global("host-activated", hook_host);
module:hook_global("host-deactivated", unhook_host);

function module.unload()
	filters.remove_filter_hook(add_filters);
	each_session(remove_filters);
	for host in pairs(hooked) do unhook_host(host); end
end
