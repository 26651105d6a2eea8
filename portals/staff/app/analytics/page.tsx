import Funnel from "@/components/Funnel";
import Restricted from "@/components/Restricted";
import StaffPage from "@/components/StaffPage";

export default function AnalyticsPage() {
  return (
    <StaffPage path="/analytics">
      <Restricted permission="analytics.read" what="journey analytics">
        <Funnel />
      </Restricted>
    </StaffPage>
  );
}
