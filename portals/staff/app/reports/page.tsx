import Reports from "@/components/Reports";
import Restricted from "@/components/Restricted";
import StaffPage from "@/components/StaffPage";

export default function ReportsPage() {
  return (
    <StaffPage path="/reports">
      <Restricted permission="reports.read" what="business and portfolio reports">
        <Reports />
      </Restricted>
    </StaffPage>
  );
}
