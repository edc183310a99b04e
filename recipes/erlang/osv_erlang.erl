%% osv_erlang: what a unikernel's command line cannot say by itself. OSv expands one $NAME per
%% word, at its end, so `-eval application:ensure_all_started($APP)` cannot be written there;
%% `-s osv_erlang start_app $APP` can.
-module(osv_erlang).
-export([start_app/1]).

%% start_app([App]) starts application App with everything it depends on, permanently, and
%% halts the VM with status 1 when it cannot (a unikernel has nothing else to do then).
start_app([App]) ->
    case application:ensure_all_started(App, permanent) of
        {ok, Started} ->
            io:format("osv_erlang: started ~p (~p)~n", [App, Started]);
        {error, Reason} ->
            io:format(standard_error, "osv_erlang: cannot start ~p: ~p~n", [App, Reason]),
            erlang:halt(1)
    end.
