"use client";

import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import CircularProgress from "@mui/material/CircularProgress";
import LinearProgress from "@mui/material/LinearProgress";
import Link from "@mui/material/Link";
import List from "@mui/material/List";
import ListItem from "@mui/material/ListItem";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { asProblem, type Schemas } from "@ff/api-client";

import StepForm from "@/components/StepForm";
import TrackingConsent from "@/components/TrackingConsent";
import { api, unwrap } from "@/lib/api";
import { type FieldSpec, type JsonSchema, type Values, crossFieldErrors, fieldKey, fieldsOf, toBody, toValues, validate } from "@/lib/form";
import { tracker } from "@/lib/tracking";

type Application = Schemas["ApplicationView"];
type FormStep = Schemas["FormStep"];

export const STEP_TITLES: Record<string, string> = {
  loan: "Your loan",
  personal: "About you",
  address: "Where you live",
  employment: "Your income",
  expenditure: "Your outgoings",
  bank: "Your bank account",
  declarations: "Declarations",
};

export default function ApplyFlow() {
  const router = useRouter();
  const [steps, setSteps] = useState<FormStep[] | null>(null);
  const [application, setApplication] = useState<Application | null>(null);
  const [index, setIndex] = useState(0);
  const [values, setValues] = useState<Values>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  const submitKey = useRef<string | null>(null);

  const step = steps?.[index];
  const reviewing = steps !== null && index >= steps.length;
  const fields: FieldSpec[] = useMemo(() => (step ? fieldsOf(step.json_schema as JsonSchema) : []), [step]);

  const show = useCallback((app: Application, form: FormStep[], at?: number) => {
    setApplication(app);
    const position = at ?? (app.next_step ? form.findIndex((s) => s.name === app.next_step) : form.length);
    const target = position < 0 ? form.length : position;
    setIndex(target);
    const current = form[target];
    if (current) {
      const saved = app.steps.find((s) => s.name === current.name)?.data;
      setValues(toValues(fieldsOf(current.json_schema as JsonSchema), saved));
    }
    setErrors({});
  }, []);

  useEffect(() => {
    (async () => {
      const form = unwrap(await api.GET("/v1/application-form")).steps.toSorted((a, b) => a.position - b.position);
      setSteps(form);
      const mine = unwrap(await api.GET("/v1/applications", { params: { query: {} } }));
      const draft = mine.items.find((a) => a.status === "draft");
      if (draft) {
        show(draft, form);
        setNotice("Welcome back. We have kept your answers, so you can carry on where you left off.");
      }
      setLoaded(true);
    })().catch(() => setNotice("We could not load your application. Please refresh the page."));
  }, [show]);

  useEffect(() => {
    if (Object.keys(errors).length) summaryRef.current?.focus();
  }, [errors]);

  // The tracker knows the form's steps; the last page (check and submit) is a page view.
  const stepName = reviewing ? undefined : step?.name;
  const applicationId = application?.id;
  const draft = application?.status === "draft";
  useEffect(() => {
    if (!applicationId) return;
    if (stepName) tracker().track("step_view", { step: stepName, application_id: applicationId });
    else if (reviewing) tracker().track("page_view", { application_id: applicationId });
  }, [stepName, reviewing, applicationId]);

  useEffect(() => {
    if (!draft || !applicationId) return;
    const leave = () => {
      tracker().track("form_abandon", { step: stepName, application_id: applicationId });
      void tracker().flush(true);
    };
    window.addEventListener("pagehide", leave);
    return () => window.removeEventListener("pagehide", leave);
  }, [draft, stepName, applicationId]);

  function showErrors(found: Record<string, string>, codes: Record<string, string>) {
    setErrors(found);
    for (const key of Object.keys(found)) {
      tracker().track("field_error", { step: step?.name, field: key, error_code: codes[key] ?? "invalid", application_id: application?.id });
    }
  }

  async function start() {
    if (!steps) return;
    setBusy(true);
    try {
      show(unwrap(await api.POST("/v1/applications")), steps, 0);
    } finally {
      setBusy(false);
    }
  }

  async function reload(message: string) {
    if (!application || !steps) return;
    const fresh = unwrap(await api.GET("/v1/applications/{application_id}", { params: { path: { application_id: application.id } } }));
    show(fresh, steps, index);
    setNotice(message);
  }

  async function saveStep() {
    if (!application || !step || !steps) return;
    const body = toBody(fields, values);
    const codes: Record<string, string> = {};
    const found = { ...validate(step.json_schema as JsonSchema, fields, body, codes), ...crossFieldErrors(step.name, body, codes) };
    if (Object.keys(found).length) {
      showErrors(found, codes);
      return;
    }
    setBusy(true);
    setNotice(null);
    try {
      const response = await fetch(`/api/v1/applications/${application.id}/steps/${step.name}`, {
        method: "PUT",
        headers: { "content-type": "application/json", "if-match": `"${application.version}"` },
        body: JSON.stringify(body),
      });
      const payload: unknown = await response.json().catch(() => null);
      if (response.ok) {
        const saved = payload as Application;
        tracker().track("step_complete", { step: step.name, application_id: saved.id });
        show(saved, steps, index + 1);
        window.scrollTo({ top: 0 });
        return;
      }
      const problem = asProblem(payload);
      if (response.status === 409 || response.status === 412) {
        await reload("Your application changed somewhere else, so we have loaded the latest answers. Please check them and continue.");
        return;
      }
      if (problem?.errors?.length) {
        const keyed = problem.errors.map((e) => [fieldKey(step.name, e.path), sentence(e.message)] as const);
        showErrors(Object.fromEntries(keyed), Object.fromEntries(keyed.map(([key]) => [key, "api_rule"])));
        return;
      }
      setNotice(problem?.detail ?? "We could not save your answers. Please try again.");
    } finally {
      setBusy(false);
    }
  }

  async function submit() {
    if (!application) return;
    setBusy(true);
    submitKey.current ??= `submit-${crypto.randomUUID()}`;
    try {
      const result = await api.POST("/v1/applications/{application_id}/submit", {
        params: { path: { application_id: application.id }, header: { "Idempotency-Key": submitKey.current } },
      });
      if (result.response.ok) {
        tracker().track("form_submit", { application_id: application.id });
        await tracker().flush();
        router.push(`/applications/${application.id}`);
        return;
      }
      const problem = asProblem(result.error);
      setNotice(problem?.detail ?? "We could not submit your application. Please try again.");
    } finally {
      setBusy(false);
    }
  }

  if (!loaded || !steps) {
    return notice ? <Alert severity="error">{notice}</Alert> : <CircularProgress aria-label="Loading" />;
  }

  if (!application) {
    return (
      <Stack spacing={2}>
        <Typography variant="h4" component="h1">
          Apply for a loan
        </Typography>
        <TrackingConsent />
        <Typography>
          It takes about ten minutes. We save your answers after each step, so you can stop and come back later.
        </Typography>
        <Button variant="contained" size="large" onClick={start} disabled={busy}>
          Start your application
        </Button>
      </Stack>
    );
  }

  const errorList = Object.entries(errors);
  return (
    <Stack spacing={2}>
      <Typography variant="body2" component="p">
        {reviewing ? "Last step" : `Step ${index + 1} of ${steps.length}`} · Reference {application.reference}
      </Typography>
      <LinearProgress variant="determinate" value={(Math.min(index, steps.length) / steps.length) * 100} aria-label="Progress through the application" />
      <Typography variant="h4" component="h1">
        {reviewing ? "Check and submit" : STEP_TITLES[step?.name ?? ""] ?? step?.name}
      </Typography>
      {notice && <Alert severity="info">{notice}</Alert>}
      <TrackingConsent />
      {errorList.length > 0 && (
        <Alert severity="error" ref={summaryRef} tabIndex={-1} role="alert">
          <AlertTitle>There is a problem</AlertTitle>
          <List dense disablePadding>
            {errorList.map(([key, text]) => (
              <ListItem key={key} disableGutters>
                <Link href={`#field-${key.replace(/\./g, "-")}`}>{text}</Link>
              </ListItem>
            ))}
          </List>
        </Alert>
      )}
      {reviewing ? (
        <Stack spacing={2}>
          <Typography>
            You have answered every question. When you submit, we will run a credit search and tell you our decision.
          </Typography>
          <Button variant="contained" size="large" onClick={submit} disabled={busy}>
            Submit my application
          </Button>
        </Stack>
      ) : (
        <Box component="form" noValidate onSubmit={(e) => { e.preventDefault(); void saveStep(); }}>
          <StepForm fields={fields} values={values} errors={errors} onChange={(key, value) => setValues((v) => ({ ...v, [key]: value }))} />
          <Stack direction="row" spacing={2} sx={{ mt: 3 }}>
            {index > 0 && (
              <Button onClick={() => show(application, steps, index - 1)} disabled={busy}>
                Back
              </Button>
            )}
            <Button type="submit" variant="contained" size="large" disabled={busy}>
              Save and continue
            </Button>
          </Stack>
        </Box>
      )}
      {index > 0 && reviewing && (
        <Button onClick={() => show(application, steps, steps.length - 1)}>Back</Button>
      )}
    </Stack>
  );
}

function sentence(text: string): string {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}
