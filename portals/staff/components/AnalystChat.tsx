"use client";
/** The AI analyst as a chat: each answer streams in (server-sent events) as it is written. */

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import List from "@mui/material/List";
import ListItem from "@mui/material/ListItem";
import ListItemButton from "@mui/material/ListItemButton";
import ListItemText from "@mui/material/ListItemText";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useCallback, useEffect, useState } from "react";

import type { Schemas } from "@ff/api-client";

import Section from "@/components/Section";
import { api, asProblemText, unwrap, when, words } from "@/lib/api";
import { readEvents } from "@/lib/sse";

interface Turn {
  question: string;
  answer: string;
  tools: string[];
  done: boolean;
  note?: string;
}

function fromExchange(e: Schemas["Exchange"]): Turn {
  return { question: e.question, answer: e.answer, tools: e.tool_calls.map((c) => c.name), done: true, note: `${e.model}, ${e.cost_pence.toFixed(2)}p` };
}

export default function AnalystChat() {
  const [conversations, setConversations] = useState<Schemas["ConversationSummary"][]>([]);
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [question, setQuestion] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const listConversations = useCallback(() => {
    api
      .GET("/v1/staff/analyst/conversations", { params: { query: { limit: 20 } } })
      .then((r) => setConversations(unwrap(r).items))
      .catch(() => setConversations([]));
  }, []);
  useEffect(listConversations, [listConversations]);

  async function openConversation(id: string) {
    setError(null);
    try {
      const view = unwrap(await api.GET("/v1/staff/analyst/conversations/{conversation_id}", { params: { path: { conversation_id: id } } }));
      setConversationId(view.id);
      setTurns(view.exchanges.map(fromExchange));
    } catch {
      setError("That conversation could not be opened.");
    }
  }

  function update(change: (turn: Turn) => Turn) {
    setTurns((all) => [...all.slice(0, -1), change(all[all.length - 1])]);
  }

  async function ask() {
    const text = question.trim();
    if (text.length < 3 || busy) return;
    setBusy(true);
    setError(null);
    setQuestion("");
    setTurns((all) => [...all, { question: text, answer: "", tools: [], done: false }]);
    const url = conversationId ? `/api/v1/staff/analyst/conversations/${encodeURIComponent(conversationId)}/questions` : "/api/v1/staff/analyst/conversations";
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "text/event-stream" }, body: JSON.stringify({ question: text }) });
      if (!response.ok || !response.body) {
        const body: unknown = await response.json().catch(() => null);
        update((t) => ({ ...t, done: true }));
        setError(asProblemText(body) ?? `The analyst could not answer (${response.status}).`);
        return;
      }
      for await (const event of readEvents(response.body)) {
        const data = JSON.parse(event.data) as Record<string, unknown>;
        if (event.event === "conversation") setConversationId(String(data.conversation_id));
        else if (event.event === "text") update((t) => ({ ...t, answer: t.answer + String(data.delta ?? "") }));
        else if (event.event === "tool_call") update((t) => ({ ...t, tools: [...t.tools, String(data.name)] }));
        else if (event.event === "done") update(() => fromExchange(data as unknown as Schemas["Exchange"]));
        else if (event.event === "error") {
          update((t) => ({ ...t, done: true }));
          setError(String(data.detail ?? data.title ?? "The answer stopped."));
        }
      }
      update((t) => ({ ...t, done: true }));
      listConversations();
    } catch {
      update((t) => ({ ...t, done: true }));
      setError("The connection to the analyst dropped. Ask again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack direction={{ xs: "column", md: "row" }} spacing={2} sx={{ alignItems: "flex-start" }}>
      <Stack spacing={2} sx={{ flexGrow: 1, width: "100%" }}>
        <Typography variant="h4" component="h1">
          AI analyst
        </Typography>
        <Typography>Ask about the business in plain English. The analyst sees aggregates only, never a person&apos;s file.</Typography>
        {turns.map((t, i) => (
          <Paper key={i} variant="outlined" sx={{ p: 2 }} component="article" aria-busy={!t.done}>
            <Typography sx={{ fontWeight: 700 }} gutterBottom>
              {t.question}
            </Typography>
            {t.tools.length > 0 && (
              <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap", mb: 1 }} role="group" aria-label="Figures looked up">
                {t.tools.map((name, j) => (
                  <Chip key={j} size="small" label={words(name)} />
                ))}
              </Stack>
            )}
            <Typography sx={{ whiteSpace: "pre-wrap" }} data-testid="analyst-answer">
              {t.answer || (t.done ? "" : "Thinking…")}
            </Typography>
            {t.note && (
              <Typography variant="caption" component="p" sx={{ mt: 1 }}>
                {t.note}
              </Typography>
            )}
          </Paper>
        ))}
        {error && <Alert severity="error">{error}</Alert>}
        <Stack
          component="form"
          direction={{ xs: "column", sm: "row" }}
          spacing={1}
          onSubmit={(e) => {
            e.preventDefault();
            void ask();
          }}
        >
          <TextField label="Your question" value={question} onChange={(e) => setQuestion(e.target.value)} fullWidth multiline maxRows={4} slotProps={{ htmlInput: { maxLength: 2000 } }} />
          <Button type="submit" variant="contained" disabled={busy || question.trim().length < 3}>
            Ask
          </Button>
        </Stack>
        {conversationId && (
          <Button
            onClick={() => {
              setConversationId(null);
              setTurns([]);
            }}
            sx={{ alignSelf: "flex-start" }}
          >
            Start a new conversation
          </Button>
        )}
      </Stack>
      <Section title="Earlier conversations">
        {conversations.length === 0 && <Typography>None yet.</Typography>}
        <List dense>
          {conversations.map((c) => (
            <ListItem key={c.id} disablePadding>
              <ListItemButton selected={c.id === conversationId} onClick={() => void openConversation(c.id)}>
                <ListItemText primary={c.title} secondary={`${c.questions} ${c.questions === 1 ? "question" : "questions"}, ${when(c.updated_at)}`} />
              </ListItemButton>
            </ListItem>
          ))}
        </List>
      </Section>
    </Stack>
  );
}
