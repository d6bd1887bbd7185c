%% mod_orbweb_traffic.erl -- whole-server stanza counters for `orbweb traffic
%% --whole-server` (ejabberd 23.01, Debian 12).
%%
%% Counts every stanza the server receives from a session ("in") and every
%% stanza it sends to one ("out"): clients (user_send_packet and
%% user_receive_packet), servers (s2s_receive_packet, s2s_send_packet) and
%% external components (component_send_packet in; out: every packet the
%% router routes to a connected component's domain, seen at filter_packet).
%% Kinds follow xmucd's rule: "presence", "message", and for IQs
%% "iq:<payload namespace>:<type>".  The table is read with the same query
%% and answer as xmucd's counters (docs/protocol.md, "Statistics"): an IQ
%% get carrying <stats xmlns='https://orbweb.dev/ns/xmuc/0'/> sent to a
%% virtual host by a JID in the `readers` option or allowed by the access
%% rule `access` (default: configure).  That query and its answer are not
%% counted.  Bytes are not counted (the answer says 0).
%%
%% Build: erlc mod_orbweb_traffic.erl (erlc is in erlang-base, which
%% ejabberd needs).  Enable: put the .beam's folder in the code path (e.g.
%% ERL_OPTIONS="-pa /usr/local/share/orbweb/ejabberd" in ejabberdctl.cfg)
%% and add `mod_orbweb_traffic: {}` under `modules:` in ejabberd.yml.
-module(mod_orbweb_traffic).

-export([start/2, stop/1, reload/3, depends/2, mod_options/1,
         mod_opt_type/1, mod_doc/0]).
-export([c2s_in/1, c2s_out/1, s2s_in/1, s2s_out/1, component_in/1,
         routed/1, component_up/1, component_down/2, process_iq/1,
         decode_iq_subel/1]).

-define(NS, <<"https://orbweb.dev/ns/xmuc/0">>).
-define(TABLE, orbweb_traffic).
-define(COMPONENTS, orbweb_traffic_components).
-define(OWNER, orbweb_traffic_owner).
-define(MAX_KINDS, 256).
-define(KIND_MAX, 200).

%% ---- gen_mod -----------------------------------------------------------

start(Host, _Opts) ->
    ensure_tables(),
    ejabberd_hooks:add(user_send_packet, Host, ?MODULE, c2s_in, 1),
    ejabberd_hooks:add(user_receive_packet, Host, ?MODULE, c2s_out, 1),
    ejabberd_hooks:add(s2s_receive_packet, Host, ?MODULE, s2s_in, 1),
    ejabberd_hooks:add(s2s_send_packet, Host, ?MODULE, s2s_out, 1),
    [ejabberd_hooks:add(H, ?MODULE, F, 1) || {H, F} <- global_hooks()],
    gen_iq_handler:add_iq_handler(ejabberd_local, Host, ?NS, ?MODULE,
                                  process_iq),
    ok.

stop(Host) ->
    ejabberd_hooks:delete(user_send_packet, Host, ?MODULE, c2s_in, 1),
    ejabberd_hooks:delete(user_receive_packet, Host, ?MODULE, c2s_out, 1),
    ejabberd_hooks:delete(s2s_receive_packet, Host, ?MODULE, s2s_in, 1),
    ejabberd_hooks:delete(s2s_send_packet, Host, ?MODULE, s2s_out, 1),
    gen_iq_handler:remove_iq_handler(ejabberd_local, Host, ?NS),
    case [H || H <- ejabberd_option:hosts(), H /= Host,
               gen_mod:is_loaded(H, ?MODULE)] of
        [] -> [ejabberd_hooks:delete(H, ?MODULE, F, 1)
               || {H, F} <- global_hooks()];
        _ -> ok
    end,
    ok.

reload(_Host, _NewOpts, _OldOpts) -> ok.

depends(_Host, _Opts) -> [].

mod_opt_type(readers) -> econf:list(econf:binary());
mod_opt_type(access) -> econf:atom().

mod_options(_Host) -> [{readers, []}, {access, configure}].

mod_doc() -> #{desc => ["Whole-server stanza counters for orbweb traffic."]}.

global_hooks() ->
    [{component_send_packet, component_in}, {filter_packet, routed},
     {component_connected, component_up},
     {component_disconnected, component_down}].

%% The tables outlive the process that starts the module: a small owner.
ensure_tables() ->
    case whereis(?OWNER) of
        undefined ->
            Self = self(),
            Pid = spawn(fun() -> own_tables(Self) end),
            receive {Pid, ready} -> ok after 5000 -> ok end;
        _ -> ok
    end.

own_tables(Parent) ->
    try register(?OWNER, self()) of
        true ->
            ets:new(?TABLE, [named_table, public, set,
                             {write_concurrency, true}]),
            ets:new(?COMPONENTS, [named_table, public, set]),
            ets:insert(?TABLE, {'$started', erlang:monotonic_time(millisecond)}),
            Parent ! {self(), ready},
            receive stop -> ok end
    catch error:badarg ->
        Parent ! {self(), ready} % another owner won the race
    end.

%% ---- Hooks -------------------------------------------------------------

c2s_in({Pkt, _} = Acc) -> count(Pkt, in), Acc.
c2s_out({Pkt, _} = Acc) -> count(Pkt, out), Acc.
s2s_in({Pkt, _} = Acc) -> count(Pkt, in), Acc;
s2s_in(Pkt) -> count(Pkt, in), Pkt.
s2s_out({Pkt, _} = Acc) -> count(Pkt, out), Acc;
s2s_out(Pkt) -> count(Pkt, out), Pkt.
component_in({Pkt, _} = Acc) -> count(Pkt, in), Acc;
component_in(Pkt) -> count(Pkt, in), Pkt.

routed(drop) -> drop;
routed(Pkt) ->
    try jid:tolower(xmpp:get_to(Pkt)) of
        {_, Server, _} ->
            case ets:member(?COMPONENTS, Server) of
                true -> count(Pkt, out);
                false -> ok
            end
    catch _:_ -> ok
    end,
    Pkt.

component_up(Host) -> ets:insert(?COMPONENTS, {Host}), ok.
component_down(Host, _Reason) -> ets:delete(?COMPONENTS, Host), ok.

%% ---- Counting ----------------------------------------------------------

count(Pkt, Dir) ->
    try kind(Pkt) of
        undefined -> ok;
        Kind -> bump(Kind, Dir)
    catch _:_ -> ok
    end.

bump(Kind0, Dir) ->
    Pos = case Dir of in -> 2; out -> 3 end,
    Kind = case ets:member(?TABLE, Kind0) orelse
                    ets:info(?TABLE, size) < ?MAX_KINDS of
               true -> Kind0;
               false -> <<"other">>
           end,
    ets:update_counter(?TABLE, Kind, {Pos, 1}, {Kind, 0, 0}).

kind(Pkt) ->
    case element(1, Pkt) of
        message -> <<"message">>;
        presence -> <<"presence">>;
        iq -> iq_kind(Pkt);
        _ -> undefined
    end.

iq_kind(IQ) ->
    Type = atom_to_binary(xmpp:get_type(IQ), utf8),
    case payload(IQ) of
        {<<"stats">>, ?NS} when Type == <<"get">>; Type == <<"result">> ->
            undefined; % our own query and its answer
        {_, NS} ->
            NS1 = case NS of <<>> -> <<"-">>; _ -> NS end,
            K = <<"iq:", NS1/binary, ":", Type/binary>>,
            case byte_size(K) > ?KIND_MAX of
                true -> <<"other">>;
                false -> K
            end
    end.

%% The first child's name and namespace, decoded or not.
payload(IQ) ->
    case xmpp:get_els(IQ) of
        [{xmlel, Name, Attrs, _} | _] ->
            {Name, proplists:get_value(<<"xmlns">>, Attrs, <<>>)};
        [El | _] ->
            {xmpp:get_name(El), xmpp:get_ns(El)};
        [] ->
            {<<>>, <<>>}
    end.

%% ---- The query ---------------------------------------------------------

%% gen_iq_handler decodes the payload with the xmpp library, which does
%% not know our namespace: keep it as it came.
decode_iq_subel(El) -> El.

process_iq(IQ) ->
    case xmpp:get_type(IQ) of
        get -> answer(IQ);
        _ -> xmpp:make_error(IQ, xmpp:err_bad_request())
    end.

answer(IQ) ->
    From = xmpp:get_from(IQ),
    {_, Server, _} = jid:tolower(xmpp:get_to(IQ)),
    case may_read(Server, From) of
        true -> xmpp:make_iq_result(IQ, stats());
        false -> xmpp:make_error(IQ, xmpp:err_forbidden())
    end.

may_read(Server, From) ->
    Bare = jid:encode(jid:remove_resource(jid:tolower(From))),
    Readers = gen_mod:get_module_opt(Server, ?MODULE, readers),
    Access = gen_mod:get_module_opt(Server, ?MODULE, access),
    lists:member(Bare, Readers) orelse
        acl:match_rule(Server, Access, From) == allow.

stats() ->
    [{'$started', T0}] = ets:lookup(?TABLE, '$started'),
    Age = (erlang:monotonic_time(millisecond) - T0) / 1000,
    Rows = lists:sort([R || {K, _, _} = R <- ets:tab2list(?TABLE),
                            is_binary(K)]),
    {In, Out} = lists:foldl(fun({_, I, O}, {A, B}) -> {A + I, B + O} end,
                            {0, 0}, Rows),
    {xmlel, <<"stats">>,
     [{<<"xmlns">>, ?NS},
      {<<"age">>, iolist_to_binary(io_lib:format("~.3f", [Age]))}],
     [counter(<<"counter">>, [{<<"kind">>, K}], I, O) || {K, I, O} <- Rows] ++
         [counter(<<"total">>, [], In, Out)]}.

counter(Name, Attrs, In, Out) ->
    {xmlel, Name,
     Attrs ++ [{<<"in-stanzas">>, integer_to_binary(In)},
               {<<"in-bytes">>, <<"0">>},
               {<<"out-stanzas">>, integer_to_binary(Out)},
               {<<"out-bytes">>, <<"0">>}],
     []}.
